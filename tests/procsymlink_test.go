package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// procfs and sysfs go on a directory of their own, never through a
// symlink to wherever it points in the rootfs: runc refuses with
// `filesystem "proc" must be mounted on ordinary directory`, and so does
// minirun, before the container's command runs and leaving nothing.

// plantNotDir replaces rel in root with a symlink to link, or with a
// regular file when link is "".
func plantNotDir(t *testing.T, root, rel, link string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if link == "" {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.Symlink(link, p); err != nil {
		t.Fatal(err)
	}
}

func TestProcSymlinkRefused(t *testing.T) {
	needRoot(t)
	cases := []struct {
		name      string
		rel, link string // what the rootfs gets at rel; link "" is a file
		mount     *specs.Mount
		want      []string
	}{
		{name: "proc to a dir in the rootfs", rel: "proc", link: "/elsewhere",
			want: []string{"mount /proc", `filesystem "proc" must be mounted on ordinary directory`, "/proc in the rootfs is a symlink to /elsewhere"}},
		{name: "proc dangling", rel: "proc", link: "/nowhere",
			want: []string{"mount /proc", `filesystem "proc" must be mounted on ordinary directory`, "symlink to /nowhere"}},
		{name: "sys relative", rel: "sys", link: "elsewhere",
			want: []string{"mount /sys", `filesystem "sysfs" must be mounted on ordinary directory`, "/sys in the rootfs is a symlink to elsewhere"}},
		{name: "sys a file", rel: "sys", link: "",
			want: []string{"mount /sys", `filesystem "sysfs" must be mounted on ordinary directory`, "/sys in the rootfs is a regular file"}},
		{name: "extra sysfs", rel: "hostsys", link: "/elsewhere",
			mount: &specs.Mount{Destination: "/hostsys", Type: "sysfs", Source: "sysfs", Options: []string{"ro", "nosuid", "nodev", "noexec"}},
			want:  []string{"mount /hostsys", `filesystem "sysfs" must be mounted on ordinary directory`, "symlink to /elsewhere"}},
		{name: "extra proc under a symlinked dir", rel: "data/proc", link: "../elsewhere",
			mount: &specs.Mount{Destination: "/data/proc", Type: "proc", Source: "proc"},
			want:  []string{"mount /data/proc", `filesystem "proc" must be mounted on ordinary directory`, "/data/proc in the rootfs is a symlink to ../elsewhere"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := privateRootfs(t)
			if err := os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(root, filepath.Dir(c.rel)), 0o755)
			plantNotDir(t, root, c.rel, c.link)
			s := defaultSpec(t, "echo", "ran")
			s.Root.Path = root
			if c.mount != nil {
				s.Mounts = append(s.Mounts, *c.mount)
			}
			r := runSpec(t, s, "")
			checkFailure(t, r, exitRunc, c.want...)
			noneLeft(t, containerID(t))
			if _, err := os.Lstat(filepath.Join(root, "nowhere")); err == nil {
				t.Errorf("the dangling symlink's target was made")
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "elsewhere")); len(ents) != 0 {
				t.Errorf("something was made where the symlink points: %v", ents)
			}
		})
	}
}

// The Docker front refuses such an image the same way: exit 125, one
// line, and no container, mount or cgroup left in the store.
func TestProcSymlinkRefusedDockerFront(t *testing.T) {
	needRoot(t)
	root := privateRootfs(t)
	if err := os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	plantNotDir(t, root, "proc", "/elsewhere")
	store := filepath.Join(t.TempDir(), "store")
	if r := runMinirun(t, "", "--store", store, "import", "symproc", root); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	cgBefore := minirunCgroups()
	for _, rm := range [][]string{{"--rm"}, nil} {
		args := append(append([]string{"--store", store, "run"}, rm...), "symproc", "echo", "ran")
		r := runMinirun(t, "", args...)
		checkFailure(t, r, exitDocker, "mount /proc", `filesystem "proc" must be mounted on ordinary directory`, "symlink to /elsewhere")
		if n := mountsUnderDir(store); n != 0 {
			t.Errorf("%v: %d mounts left under the store", rm, n)
		}
		for cg := range minirunCgroups() {
			if !cgBefore[cg] {
				t.Errorf("%v: cgroup left behind: %s", rm, cg)
			}
		}
		if rm != nil {
			if ents, _ := os.ReadDir(filepath.Join(store, "containers")); len(ents) != 0 {
				t.Errorf("--rm: containers left in the store: %v", ents)
			}
		}
	}
	// Without --rm the failed container stays listed, as Docker keeps a
	// container whose start failed; rm takes it and its directories.
	ps := runMinirun(t, "", "--store", store, "ps", "-a", "-q")
	for _, id := range strings.Fields(ps.stdout) {
		if r := runMinirun(t, "", "--store", store, "rm", "-f", id); r.code != 0 {
			t.Errorf("rm -f %s: %+v", id, r)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "containers")); len(ents) != 0 {
		t.Errorf("containers left in the store after rm: %v", ents)
	}
}
