/*
 * probe: small syscall probes for the seccomp integration tests. Built
 * static with glibc (gcc -static -pthread) so it runs in the busybox rootfs,
 * and so its threads go through glibc's clone3-then-clone path.
 *
 *   probe sys NR [ARG...]    syscall(NR, ARG...) from 64-bit code
 *   probe int80 NR [ARG...]  the same through int $0x80 (the i386 ABI)
 *   probe threads N          start and join N pthreads
 *   probe pdeathsig          print the parent-death signal (PR_GET_PDEATHSIG)
 *   probe chroot-escape DIR PATH
 *                            the classic chroot(2) break-out: chroot into
 *                            DIR (made if missing) without entering it,
 *                            climb "..", chroot there; then print
 *                            "escaped" if PATH exists there, else "contained"
 *
 * sys and int80 print "ok RET" or "errno N (message)", and always exit 0,
 * so a test reads the result from stdout, not from the exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(long ret, int err)
{
	if (ret == -1 && err != 0)
		printf("errno %d (%s)\n", err, strerror(err));
	else
		printf("ok %ld\n", ret);
}

/* The i386 ABI from 64-bit code: the kernel takes this as a 32-bit
 * syscall (seccomp_data.arch is AUDIT_ARCH_I386), whatever the binary is. */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return ret;
}

static void *worker(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: probe sys|int80|threads N [ARG...]\n");
		return 2;
	}
	long v[4] = {0};
	for (int i = 2; i < argc && i < 6; i++)
		v[i - 2] = strtol(argv[i], NULL, 0);

	if (strcmp(argv[1], "sys") == 0) {
		errno = 0;
		long ret = syscall(v[0], v[1], v[2], v[3]);
		report(ret, errno);
		return 0;
	}
	if (strcmp(argv[1], "int80") == 0) {
		long ret = int80(v[0], v[1], v[2], v[3]);
		/* The raw ABI returns -errno; -4095..-1 are errors. */
		if (ret < 0 && ret > -4096)
			report(-1, (int)-ret);
		else
			report(ret, 0);
		return 0;
	}
	if (strcmp(argv[1], "threads") == 0) {
		int n = (int)v[0];
		pthread_t t[64];
		if (n < 1 || n > 64) {
			fprintf(stderr, "probe: threads: 1..64\n");
			return 2;
		}
		for (int i = 0; i < n; i++) {
			int err = pthread_create(&t[i], NULL, worker, NULL);
			if (err != 0) {
				printf("pthread_create %d: errno %d (%s)\n", i, err, strerror(err));
				return 1;
			}
		}
		for (int i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		printf("threads %d\n", n);
		return 0;
	}
	if (strcmp(argv[1], "pdeathsig") == 0) {
		int sig = -1;
		if (prctl(PR_GET_PDEATHSIG, &sig) != 0) {
			printf("errno %d (%s)\n", errno, strerror(errno));
			return 1;
		}
		printf("pdeathsig %d\n", sig);
		return 0;
	}
	if (strcmp(argv[1], "chroot-escape") == 0) {
		if (argc < 4) {
			fprintf(stderr, "usage: probe chroot-escape DIR PATH\n");
			return 2;
		}
		mkdir(argv[2], 0700);
		if (chroot(argv[2]) != 0) {
			printf("chroot %s: errno %d (%s)\n", argv[2], errno, strerror(errno));
			return 1;
		}
		/* The cwd is still outside the new root, so ".." is not capped. */
		for (int i = 0; i < 64; i++)
			if (chdir("..") != 0)
				break;
		if (chroot(".") != 0) {
			printf("chroot .: errno %d (%s)\n", errno, strerror(errno));
			return 1;
		}
		printf(access(argv[3], F_OK) == 0 ? "escaped\n" : "contained\n");
		return 0;
	}
	fprintf(stderr, "probe: unknown mode %s\n", argv[1]);
	return 2;
}
