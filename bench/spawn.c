/* bench/spawn.c - run a command; write its exit status, wall time, CPU time
 * and peak RSS to a file.  bench/run compiles it into its work directory.
 *
 *   spawn RESULT_FILE TIMEOUT_S PROGRAM [ARG...]
 *
 * RESULT_FILE gets one line: "STATUS WALL_S UTIME_S STIME_S MAXRSS_KIB",
 * STATUS being the exit code, or -SIGNAL.  After TIMEOUT_S seconds the child
 * is killed.
 *
 * Why not Python's own wait4(): Linux keeps, in a process's ru_maxrss, the
 * resident size of the image it replaced at execve(), and a child forked
 * from the Python benchmark starts as a copy of it (tens of MiB).  This
 * program is small, so a child forked from it reports its own peak. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void
on_alarm(int sig)
{
    (void)sig;
    if (child > 0)
        kill(child, SIGKILL);
}

int
main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    struct sigaction sa;
    int status, code;
    pid_t pid;
    FILE *f;

    if (argc < 4) {
        fputs("usage: spawn RESULT_FILE TIMEOUT_S PROGRAM [ARG...]\n", stderr);
        return 2;
    }
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        perror("spawn: fork");
        return 2;
    }
    if (pid == 0) {
        execv(argv[3], argv + 3);
        perror("spawn: execv");
        _exit(127);
    }
    child = pid;
    alarm((unsigned)atoi(argv[2]));
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("spawn: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    code = WIFEXITED(status) ? WEXITSTATUS(status)
                             : (WIFSIGNALED(status) ? -WTERMSIG(status) : -1);
    f = fopen(argv[1], "w");
    if (!f) {
        perror("spawn: result file");
        return 2;
    }
    fprintf(f, "%d %.9f %ld.%06ld %ld.%06ld %ld\n", code,
            (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
            (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
    return fclose(f) == 0 ? 0 : 2;
}
