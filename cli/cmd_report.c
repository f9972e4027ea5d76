/* cmd_report.c - `sciprune report --workdir W`: W/report.html, the page a person reads first
 * (scripts/report_html.py: what was pruned and why, the clusters, the corruption probes, the
 * recommendation), and the same call at the end of `sciprune run`. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCIPRUNE_SCRIPTS_DIR
#define SCIPRUNE_SCRIPTS_DIR "scripts"
#endif

extern char **environ;

static void help(void)
{
    printf("usage: sciprune report --workdir W [--python P] [--script S] [--examples N]\n\n"
           "Write W/report.html: one self-contained page (no network, no script) with, per\n"
           "variant, counts, bytes, languages and examples of pruned files by reason (the gate\n"
           "with the offending line and the error or undefined names, small cluster, far from\n"
           "the centroid); per cluster its size, the features its centroid weighs most and its\n"
           "3 nearest and 3 farthest files; the corruption probes with the edit highlighted and\n"
           "where they landed; the analysis' recommendation with lift beside recall. The full\n"
           "texts of the files it shows go to W/report/files/. `sciprune run` writes it at its\n"
           "end (SCIPRUNE_NO_HTML=1 skips that).\n\n"
           "options:\n"
           "  --workdir W     the workdir of a finished run (required)\n"
           "  --python P      the interpreter (default /usr/bin/python3; needs numpy)\n"
           "  --script S      the generator (default " SCIPRUNE_SCRIPTS_DIR "/report_html.py)\n"
           "  --examples N    examples per variant and reason (default 3)\n");
}

/* Run the generator; quiet: its stdout and stderr go to /dev/null. Returns its exit status, or
 * -1 when it cannot be started (interpreter or script missing). */
int cli_report_html(const char *workdir, const char *python, const char *script,
                    const char *examples, int quiet)
{
    if (!python) python = "/usr/bin/python3";
    if (!script) script = SCIPRUNE_SCRIPTS_DIR "/report_html.py";
    if (access(python, X_OK) != 0 || access(script, R_OK) != 0) return -1;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    const char *argv[10];
    int a = 0;
    argv[a++] = python;
    argv[a++] = script;
    argv[a++] = workdir;
    if (self[0]) {
        argv[a++] = "--sciprune";
        argv[a++] = self;
    }
    if (examples) {
        argv[a++] = "--examples";
        argv[a++] = examples;
    }
    argv[a] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    int rc = posix_spawn(&pid, python, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'}, {"python", required_argument, 0, 'p'},
        {"script", required_argument, 0, 's'},  {"examples", required_argument, 0, 'e'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *workdir = NULL, *python = NULL, *script = NULL, *examples = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hw:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'p': python = optarg; break;
        case 's': script = optarg; break;
        case 'e': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100) return cli_usage_error("report", "--examples takes 1..100");
            examples = optarg;
            break;
        }
        case 'h': help(); return CLI_OK;
        default: return cli_usage_error("report", "bad option");
        }
    }
    if (!workdir) return cli_usage_error("report", "--workdir is required");
    if (optind < argc) return cli_usage_error("report", "unexpected argument %s", argv[optind]);
    int rc = cli_report_html(workdir, python, script, examples, 0);
    if (rc < 0) {
        fprintf(stderr, "sciprune: report: cannot start %s %s (python3 with numpy is needed)\n",
                python ? python : "/usr/bin/python3",
                script ? script : SCIPRUNE_SCRIPTS_DIR "/report_html.py");
        return CLI_FAIL;
    }
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
