package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// runc's own integration suite edits what `runc spec` writes, and engines'
// scripts do the same: `spec` must give runc's default, and minirun must
// start it as runc does.
func TestSpecIsRuncDefault(t *testing.T) {
	needRoot(t)
	s := specWritten(t) // plain `minirun spec`: runc's default
	if !s.Process.Terminal || !s.Root.Readonly || !s.Process.NoNewPrivileges || s.Linux.Seccomp != nil {
		t.Fatalf("spec: terminal %v, readonly root %v, no_new_privs %v, seccomp %v: want runc's default (true, true, true, none)",
			s.Process.Terminal, s.Root.Readonly, s.Process.NoNewPrivileges, s.Linux.Seccomp != nil)
	}
	want := "CAP_AUDIT_WRITE,CAP_KILL,CAP_NET_BIND_SERVICE"
	if c := s.Process.Capabilities; strings.Join(c.Bounding, ",") != want || strings.Join(c.Ambient, ",") != want || len(c.Inheritable) != 0 {
		t.Fatalf("spec capabilities %+v: want runc's three, ambient without inheritable", c)
	}
	// runc starts this config: the ambient capabilities it can't raise
	// (not inheritable) are left out rather than failing the start.
	s.Process.Terminal = false
	s.Process.Args = []string{"sh", "-c", "grep -E '^Cap(Eff|Amb)' /proc/self/status; cat /dev/null && echo null-ok"}
	r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
	if r.code != 0 {
		t.Fatalf("run of runc's default spec: exit %d: %s", r.code, r.stderr)
	}
	// AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10).
	mustContain(t, "effective", r.stdout, "CapEff:\t0000000020000420")
	mustContain(t, "ambient", r.stdout, "CapAmb:\t0000000000000000")
	mustContain(t, "/dev/null under deny-all device rules", r.stdout, "null-ok")

	// --docker keeps Docker's defaults for people and the tests.
	d := specOf(t, nil)
	if d.Linux.Seccomp == nil || d.Process.Terminal {
		t.Fatalf("spec --docker: seccomp %v terminal %v: want Docker's default profile, no terminal", d.Linux.Seccomp != nil, d.Process.Terminal)
	}
}

// The runc forms engines and runc's scripts use: delete --force of what
// is gone succeeds, kill with signal 0 probes, list and ps print their
// JSON on one line, and flags may follow the id.
func TestRuncCLIForms(t *testing.T) {
	needRoot(t)
	if r := runMinirun(t, "", "delete", "--force", "no-such-container"); r.code != 0 {
		t.Errorf("delete --force of a missing container: exit %d (%s), want 0 as runc", r.code, r.stderr)
	}
	if r := runMinirun(t, "", "delete", "no-such-container"); r.code != exitRunc || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("delete of a missing container without --force succeeded")
	}
	for _, cmd := range []string{"checkpoint", "restore"} {
		if r := runMinirun(t, "", cmd, "--image-path", t.TempDir(), "x"); r.code != exitRunc || !strings.Contains(r.stderr, "no CRIU support") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, %q: want one line saying there is no CRIU support", cmd, r.code, r.stderr)
		}
	}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	defer runMinirun(t, "", "delete", "--force", id)
	mr(t, "kill", id, "0")
	mr(t, "kill", "-a", id, "0")
	for _, args := range [][]string{{"list", "--format", "json"}, {"ps", "--format", "json", id}} {
		out := mr(t, args...)
		if strings.Count(strings.TrimSpace(out), "\n") != 0 || !json.Valid([]byte(out)) {
			t.Errorf("minirun %v: want JSON on one line, got %q", args, out)
		}
	}
	// runc's fields in runc's order: its list.bats matches the line as text.
	if out := mr(t, "list", "--format", "json"); !regexp.MustCompile(`^\[\{"ociVersion":"[0-9.]+","id":"` + id + `","pid":[0-9]+,"status":"running","bundle":"[^"]+","rootfs":"[^"]*","created":"`).MatchString(out) {
		t.Errorf("list --format json: %q, want runc's field order", out)
	}
	// Flags after the id, as runc takes them.
	mr(t, "update", id, "--pids-limit", "100")
	mr(t, "delete", id, "--force")

	// run --keep leaves the exited container for state and delete.
	kept := id + "-keep"
	if r := runMinirun(t, "", "run", "--keep", "-b", writeBundle(t, defaultSpec(t, "sh", "-c", "exit 3")), kept); r.code != 3 {
		t.Fatalf("run --keep: exit %d (%s), want the container's 3", r.code, r.stderr)
	}
	mustContain(t, "state after run --keep", mr(t, "state", kept), `"status": "stopped"`)
	mr(t, "delete", kept)
	if r := runMinirun(t, "", "kill", id, "0"); r.code != exitRunc || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("kill 0 of a deleted container succeeded")
	}
}

// exec's runc flags, as runc's exec.bats and cgroups.bats use them.
func TestRuncExecForms(t *testing.T) {
	needRoot(t)
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	defer runMinirun(t, "", "delete", "--force", id)

	if out := mr(t, "exec", "--user", "1000:1000", "--additional-gids", "100", "--additional-gids", "65534", id, "id", "-G"); strings.TrimSpace(out) != "1000 100 65534" {
		t.Errorf("exec --additional-gids: id -G says %q, want 1000 100 65534", out)
	}

	// --preserve-fds=2 passes fds 3 and 4 of the caller.
	dir := t.TempDir()
	f3, err := os.Create(filepath.Join(dir, "three"))
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	if err := os.WriteFile(filepath.Join(dir, "four"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f4, err := os.Open(filepath.Join(dir, "four"))
	if err != nil {
		t.Fatal(err)
	}
	defer f4.Close()
	cmd := exec.Command(minirun, "exec", "--preserve-fds=2", id, "cat", "/proc/self/fd/4")
	cmd.ExtraFiles = []*os.File{f3, f4}
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "hello\n" {
		t.Errorf("exec --preserve-fds=2: %v, output %q, want hello", err, out)
	}

	mr(t, "pause", id)
	r := runMinirun(t, "", "exec", id, "echo", "ok")
	if r.code != exitRuncExec || !strings.Contains(r.stderr, "cannot exec in a paused container") {
		t.Errorf("exec into a paused container: exit %d, stderr %q: want runc's refusal", r.code, r.stderr)
	}
	go func() {
		time.Sleep(time.Second)
		exec.Command(minirun, "resume", id).Run()
	}()
	if out := mr(t, "exec", "--ignore-paused", id, "echo", "ok"); out != "ok\n" {
		t.Errorf("exec --ignore-paused: %q, want ok once resumed", out)
	}
}

// A read-only tmpfs on /dev (runc's mounts.bats "ro /dev mount") still
// gets /dev/pts, /dev/shm and the device nodes inside it, and is
// read-only by the time the process runs.
func TestReadonlyDevMount(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "grep '^tmpfs /dev ' /proc/mounts; test -e /dev/pts/ptmx && echo pts-ok; echo x >/dev/null && echo null-ok; touch /dev/new 2>/dev/null || echo dev-ro")
	for i, m := range s.Mounts {
		if m.Destination == "/dev" {
			s.Mounts[i].Options = append(m.Options, "ro")
		}
	}
	r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
	if r.code != 0 {
		t.Fatalf("run with a read-only /dev: exit %d: %s", r.code, r.stderr)
	}
	mustContain(t, "/dev in /proc/mounts", r.stdout, "tmpfs /dev tmpfs ro,")
	for _, w := range []string{"pts-ok", "null-ok", "dev-ro"} {
		mustContain(t, "read-only /dev", r.stdout, w)
	}
}

// Hooks run where runc runs them: createContainer in the rootfs (before
// pivot_root, so "./tmp" is the container's /tmp), the runtime's hooks in
// the bundle.
func TestHookWorkingDirectories(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "ls /tmp")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}})
	sh := func(cmd string) specs.Hook { return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", cmd}} }
	s.Hooks = &specs.Hooks{
		CreateRuntime:   []specs.Hook{sh("touch ./create-runtime-ran")},
		CreateContainer: []specs.Hook{sh("touch ./tmp/create-container-ran")},
	}
	bundle := writeBundle(t, s)
	r := runMinirun(t, "", "run", "-b", bundle, containerID(t))
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	mustContain(t, "the container's /tmp", r.stdout, "create-container-ran")
	if _, err := os.Stat(filepath.Join(bundle, "create-runtime-ran")); err != nil {
		t.Errorf("createRuntime hook did not run in the bundle: %v", err)
	}
}

// events reports an OOM kill as runc does, and ends soon after the
// container is deleted (runc's events.bats).
func TestEventsOOMAndDelete(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	limit := int64(32 << 20)
	s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	defer runMinirun(t, "", "delete", "--force", id)

	out, err := os.Create(filepath.Join(t.TempDir(), "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ev := exec.Command(minirun, "events", "--interval", "1s", id)
	ev.Stdout, ev.Stderr = out, out
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- ev.Wait() }()
	defer ev.Process.Kill()

	// A 64 MiB buffer in a 32 MiB cgroup: the kernel kills dd.
	mrDetached(t, "exec", "-d", id, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	deadline := time.Now().Add(10 * time.Second)
	var log []byte
	for time.Now().Before(deadline) {
		log, _ = os.ReadFile(out.Name())
		if strings.Contains(string(log), `{"type":"oom","id":"`+id+`"}`) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mustContain(t, "events after an OOM kill", string(log), `{"type":"oom","id":"`+id+`"}`)
	mustContain(t, "events' stats", string(log), `{"type":"stats","id":"`+id+`","data":`)

	mr(t, "delete", "--force", id)
	select {
	case <-ended:
	case <-time.After(3 * time.Second):
		t.Fatalf("events still running 3 s after delete --force")
	}
}

// "rro" makes a bind read-only with every mount below it (runc's
// mounts_recursive.bats); a plain "ro" leaves submounts writable.
func TestRecursiveReadonlyBind(t *testing.T) {
	needRoot(t)
	vol := t.TempDir()
	sub := filepath.Join(vol, "subvol")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "tmpfs", sub).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs below the volume: %v: %s", err, out)
	}
	defer exec.Command("umount", "-l", sub).Run()
	for opts, want := range map[string]string{"rbind,rro": "foo-ro bar-ro", "rbind,ro": "foo-ro bar-rw"} {
		s := defaultSpec(t, "sh", "-c", "touch /mnt/foo 2>/dev/null && echo foo-rw || echo foo-ro; touch /mnt/subvol/bar 2>/dev/null && echo bar-rw || echo bar-ro")
		s.Mounts = append(s.Mounts, specs.Mount{Source: vol, Destination: "/mnt", Options: strings.Split(opts, ",")})
		r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
		if got := strings.Join(strings.Fields(r.stdout), " "); r.code != 0 || got != want {
			t.Errorf("%s: exit %d, %q (%s), want %q", opts, r.code, got, r.stderr, want)
		}
	}
}

// A cgroup frozen before the start is refused at once, in runc's words,
// instead of a start that waits forever for an init that can't run.
func TestFrozenCgroupRefused(t *testing.T) {
	needRoot(t)
	name := "/minirun-test-frozen"
	dir := filepath.Join("/sys/fs/cgroup/freezer", name)
	file, value := "freezer.state", "FROZEN"
	if _, err := os.Stat("/sys/fs/cgroup/freezer"); err != nil {
		dir, file, value = filepath.Join("/sys/fs/cgroup", name), "cgroup.freeze", "1"
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("make a cgroup to freeze: %v", err)
	}
	defer os.Remove(dir)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		t.Fatalf("freeze %s: %v", dir, err)
	}
	s := defaultSpec(t, "true")
	s.Linux.CgroupsPath = name
	for _, args := range [][]string{{"run", "-b", writeBundle(t, s), containerID(t)}, {"create", "-b", writeBundle(t, s), containerID(t)}} {
		r := runMinirunWithin(t, 20*time.Second, "", args...)
		if r.code != exitRunc || !strings.Contains(r.stderr, "container's cgroup unexpectedly frozen") {
			t.Errorf("%s into a frozen cgroup: exit %d, %q: want runc's refusal", args[0], r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(os.Getenv("MINIRUN_ROOT"), containerID(t))); err == nil {
			t.Errorf("%s left its state behind", args[0])
		}
	}
}

// On v1, the container's cgroup binds take the cgroup mount's flags: with
// "ro" they are read-only, without it the container may make sub-cgroups
// (runc's delete.bats "delete --force in cgroupv1 with subcgroups"), and
// delete --force removes them with the container's own.
func TestCgroupMountFlagsV1(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("needs a v1 memory hierarchy")
	}
	for _, ro := range []bool{true, false} {
		s := defaultSpec(t, "sleep", "100")
		for i, m := range s.Mounts {
			if m.Type == "cgroup" {
				s.Mounts[i].Options = []string{"nosuid", "noexec", "nodev"}
				if ro {
					s.Mounts[i].Options = append(s.Mounts[i].Options, "ro")
				}
			}
		}
		id := fmt.Sprintf("%s-%v", containerID(t), ro)
		mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
		r := runMinirun(t, "", "exec", id, "mkdir", "/sys/fs/cgroup/memory/sub")
		if ro && (r.code == 0 || !strings.Contains(r.stderr+r.stdout, "Read-only")) {
			t.Errorf("ro cgroup mount: mkdir gave exit %d %q, want Read-only file system", r.code, r.stderr)
		}
		if !ro && r.code != 0 {
			t.Errorf("rw cgroup mount: mkdir of a sub-cgroup: exit %d %q", r.code, r.stderr)
		}
		mr(t, "delete", "--force", id)
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory/minirun", id)); err == nil {
			t.Errorf("ro=%v: the container's memory cgroup is left after delete --force", ro)
		}
	}
}

// A cwd only root can enter is still the process's cwd when it runs as
// another user: it is entered before the identity change, as runc does
// (cwd.bats). The process gains nothing there: its own lookups from it
// are still refused.
func TestCwdEnteredBeforeIdentity(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "pwd; ls . >/dev/null 2>&1 || echo no-listing")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/secret", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=700"}})
	s.Process.Cwd = "/secret"
	s.Process.User = specs.User{UID: 1000, GID: 1000}
	r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
	if r.code != 0 || r.stdout != "/secret\nno-listing\n" {
		t.Fatalf("cwd /secret (0700, root's) as uid 1000: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// With no_new_privs, startContainer hooks run under the container's
// seccomp filter, as runc runs them (seccomp.bats "startContainer hook"):
// a profile that kills mkdir stops a hook that makes a directory.
func TestStartContainerHookUnderFilter(t *testing.T) {
	needRoot(t)
	s := specWritten(t) // plain `minirun spec`: runc's default
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/true"}
	s.Root.Readonly = false
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActKill}},
	}
	s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "mkdir /dev/shm/foo"}}}}
	r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
	if r.code != exitRunc || !strings.Contains(r.stderr, "error running hook") || !strings.Contains(r.stderr, "bad system call") {
		t.Fatalf("a startContainer hook the filter kills: exit %d, stderr %q: want the start to fail on the hook", r.code, r.stderr)
	}
}

// A cgroup made beforehand in only some v1 hierarchies is taken, as runc
// takes it (update.bats "update rt period and runtime" makes one under
// cpu alone); its processes are looked for wherever it exists.
func TestCgroupPartlyMadeBeforehand(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/fs/cgroup/cpu,cpuacct"); err != nil {
		t.Skip("needs the v1 cpu hierarchy")
	}
	name := "/minirun-test-partial"
	dir := filepath.Join("/sys/fs/cgroup/cpu,cpuacct", name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir)
	s := defaultSpec(t, "true")
	s.Linux.CgroupsPath = name
	if r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t)); r.code != 0 {
		t.Fatalf("run in a cgroup that exists under cpu only: exit %d: %s", r.code, r.stderr)
	}
	// A process in the partial cgroup still makes it taken.
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(sleep.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	r := runMinirun(t, "", "run", "-b", writeBundle(t, s), containerID(t))
	if r.code != exitRunc || !strings.Contains(r.stderr, "container's cgroup is not empty") {
		t.Errorf("run in a partial cgroup holding a process: exit %d, %q: want it refused", r.code, r.stderr)
	}
	// Back to the root cgroup, so the directory can go.
	os.WriteFile("/sys/fs/cgroup/cpu,cpuacct/cgroup.procs", []byte(fmt.Sprint(sleep.Process.Pid)), 0)
}

// update --memory -1 lifts the limit with swap left unset, as runc's does
// (update.bats): swap is made unlimited too, and written first.
func TestUpdateMemoryUnlimited(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"); err != nil {
		t.Skip("needs v1 swap accounting")
	}
	s := defaultSpec(t, "sleep", "100")
	limit, swap := int64(32<<20), int64(64<<20)
	s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &swap}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	defer runMinirun(t, "", "delete", "--force", id)
	mr(t, "update", id, "--memory", "-1")
	for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"} {
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory/minirun", id, f))
		if err != nil {
			t.Fatal(err)
		}
		if v := strings.TrimSpace(string(b)); len(v) < 15 {
			t.Errorf("%s after update --memory -1: %s, want unlimited", f, v)
		}
	}
}
