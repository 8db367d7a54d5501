package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// listenSrc asks the kernel for a seccomp listener of its own until it
// gets one (10 s at most); then a child of it calls mkdir(DIR/made), which
// the container's profile refuses, and it answers the child's notification
// CONTINUE. What happened goes to DIR/result.
const listenSrc = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char path[4096];

static const char *in(const char *dir, const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void result(const char *dir, const char *msg)
{
	FILE *f = fopen(in(dir, "result"), "w");
	if (f) {
		fputs(msg, f);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argv[1];
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};
	char msg[512];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		result(dir, "no_new_privs refused\n");
		return 1;
	}
	close(open(in(dir, "ready"), O_CREAT | O_WRONLY, 0644));
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long tries = 0, busy = 0;
	int fd, last = 0;
	for (;;) {
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd >= 0)
			break;
		last = errno;
		tries++;
		if (last == EBUSY)
			busy++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 10) {
			snprintf(msg, sizeof msg, "no listener: %ld tries, %ld EBUSY, last %s\n", tries, busy, strerrorname_np(last));
			result(dir, msg);
			return 0;
		}
	}
	pid_t child = fork();
	if (child == 0)
		_exit(syscall(SYS_mkdir, in(dir, "made"), 0755) == 0 ? 0 : errno);
	struct seccomp_notif req;
	memset(&req, 0, sizeof req);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
		struct seccomp_notif_resp resp = {req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE};
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	int st = 0;
	waitpid(child, &st, 0);
	snprintf(msg, sizeof msg, "listener after %ld tries (%ld EBUSY); mkdir: %s\n", tries, busy,
		 WEXITSTATUS(st) == 0 ? "made" : strerrorname_np(WEXITSTATUS(st)));
	result(dir, msg);
	return 0;
}
`

// reaperOf is the pid of the reaper a foreground minirun (pid) started.
func reaperOf(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			n, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			cmdline, err2 := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err != nil || err2 != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ")".
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(pid) && strings.HasPrefix(string(cmdline), "minirun-reaper\x00") {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no reaper under minirun %d", pid)
	return 0
}

// Issue 19, "Also": under --seccomp-report the profile's ERRNO rules are
// USER_NOTIF, which ranks below ERRNO, and between two filters answering
// USER_NOTIF the kernel takes the newer one's. Once minirun is gone its
// listener is released; until the reaper has killed the container, a
// process in it could install a filter with a listener of its own and
// answer CONTINUE to what the profile refuses. The test makes that window
// as long as it likes by stopping the reaper (on its own the window is the
// reaper's start, a few milliseconds, and a process spinning on seccomp(2)
// needs less): the container's mkdir, which its profile refuses, must stay
// refused, and the container must not get a listener.
func TestSeccompReportNoListenerAfterParentDies(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found: the listener helper is C built with gcc -static")
	}
	root := privateRootfs(t)
	src := filepath.Join(t.TempDir(), "listen.c")
	if err := os.WriteFile(src, []byte(listenSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-Wall", "-Werror", "-o", filepath.Join(root, "bin", "listen"), src).CombinedOutput(); err != nil {
		t.Fatalf("build listen: %v\n%s", err, out)
	}
	out := t.TempDir()
	s := defaultSpec(t, "sh", "-c", "/bin/listen /out & exec sleep 60")
	s.Root.Path = root
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/out", Type: "bind", Source: out, Options: []string{"rbind", "rw"}})
	// No pid namespace: the init's death (PDEATHSIG) does not take the
	// others with it, as with --pid=host.
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type != specs.PIDNamespace {
			ns = append(ns, n)
		}
	}
	s.Linux.Namespaces = ns
	one := uint(1)
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &one},
	}}
	id := containerID(t)
	cmd := exec.Command(minirun, "run", "--seccomp-report", "-b", writeBundle(t, s), id)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
		runMinirun(t, "", "delete", "-f", id)
	})
	reaper := reaperOf(t, cmd.Process.Pid)
	waitFile := func(name string, d time.Duration) bool {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(out, name)); err == nil {
				return true
			}
		}
		return false
	}
	if !waitFile("ready", 20*time.Second) {
		t.Fatal("the helper did not start")
	}
	time.Sleep(200 * time.Millisecond) // it asks for a listener meanwhile, and gets EBUSY
	// A slow reaper: stopped until the helper is done.
	if err := syscall.Kill(reaper, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(reaper, syscall.SIGCONT)
	cmd.Process.Kill()
	cmd.Wait()
	killed = true
	if !waitFile("result", 20*time.Second) {
		t.Fatal("the helper wrote no result")
	}
	res, _ := os.ReadFile(filepath.Join(out, "result"))
	t.Logf("helper: %s", res)
	syscall.Kill(reaper, syscall.SIGCONT)
	if _, err := os.Stat(filepath.Join(out, "made")); err == nil {
		t.Errorf("the container ran a mkdir its profile refuses, after minirun died: %s", res)
	}
	if !strings.HasPrefix(string(res), "no listener: ") || !strings.HasSuffix(string(res), "last ENOSYS\n") {
		t.Errorf("the container got a seccomp listener of its own after minirun died: %s", res)
	}
	// The reaper, resumed, deletes the container.
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if r := runMinirun(t, "", "state", id); r.code != 0 {
			return
		}
	}
	t.Errorf("the reaper left %s", id)
}
