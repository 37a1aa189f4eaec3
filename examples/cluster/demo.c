/* SPDX-License-Identifier: MIT */
/*
 * demo.c: the rolling upgrade, as `make demo` runs it. Three nodes on
 * 127.0.0.1 start on revision 1 of demo/shop.erg and send each other
 * orders; then, one at a time, each node is drained (its mailboxes empty
 * first), stopped and started again on revision 2, while the others keep
 * sending. At the end every order is accounted for:
 *
 *   demo: sent=N received=N converted=N refused=N lost=N misdecoded=N
 *
 * lost = sent - received - refused (refused: the sender got an error);
 * the demo fails unless lost=0 and misdecoded=0.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { NODES = 3, RUN_MS = 1500 };

typedef struct node_s {
    char name[64];
    unsigned port;
    pid_t pid;
    FILE *in, *out;
} node_t;

typedef struct totals_s {
    unsigned long sent, acked, refused, received, converted, misdecoded,
        disordered;
} totals_t;

static char bindir[PATH_MAX];

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A port no one listens on now, below the range the system gives port-0
 * binds, so nothing takes it while its node restarts. */
static unsigned free_port(void) {
    static unsigned next;
    if (next == 0)
        next = 20000 + (unsigned)getpid() % 12000;
    for (unsigned i = 0; i < 4096; i++) {
        unsigned port = 20000 + (next++ - 20000) % 12000;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((uint16_t)port);
        int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return port;
    }
    fprintf(stderr, "demo: no free port\n");
    exit(1);
}

/* Starts node i on revision rev and waits for its "ready" line. */
static void start(node_t *nodes, int i, int rev) {
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) {
        perror("demo: pipe");
        exit(1);
    }
    char bin[PATH_MAX + 32], self[96], peers[NODES][96];
    snprintf(bin, sizeof(bin), "%s/demo_node_v%d", bindir, rev);
    snprintf(self, sizeof(self), "%u", nodes[i].port);
    char *argv[NODES + 3] = {bin, nodes[i].name, self};
    int argc = 3;
    for (int k = 0; k < NODES; k++)
        if (k != i) {
            snprintf(peers[k], sizeof(peers[k]), "%s:%u", nodes[k].name,
                     nodes[k].port);
            argv[argc++] = peers[k];
        }
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        perror("demo: fork");
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the demo */
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        execv(bin, argv);
        perror(bin);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    nodes[i].pid = pid;
    nodes[i].in = fdopen(to[1], "w");
    nodes[i].out = fdopen(from[0], "r");
    char line[256];
    if (fgets(line, sizeof(line), nodes[i].out) == NULL ||
        strncmp(line, "ready", 5) != 0) {
        fprintf(stderr, "demo: %s did not start\n", nodes[i].name);
        exit(1);
    }
    printf("demo: %s", line);
    fflush(stdout);
}

static void command(node_t *n, const char *cmd) {
    fprintf(n->in, "%s\n", cmd);
    fflush(n->in);
}

/* Drains node n, adds its counters to t, and waits for it to exit. */
static void drain(node_t *n, totals_t *t) {
    command(n, "drain");
    char line[512];
    totals_t c = {0};
    int rev = 0;
    if (fgets(line, sizeof(line), n->out) == NULL ||
        sscanf(line,
               "stats %*s revision=%d sent=%lu acked=%lu refused=%lu "
               "received=%lu converted=%lu misdecoded=%lu disordered=%lu",
               &rev, &c.sent, &c.acked, &c.refused, &c.received, &c.converted,
               &c.misdecoded, &c.disordered) != 8) {
        fprintf(stderr, "demo: %s gave no counters\n", n->name);
        exit(1);
    }
    printf("demo: %s", line);
    fflush(stdout);
    t->sent += c.sent;
    t->acked += c.acked;
    t->refused += c.refused;
    t->received += c.received;
    t->converted += c.converted;
    t->misdecoded += c.misdecoded;
    t->disordered += c.disordered;
    fclose(n->in);
    fclose(n->out);
    int status;
    waitpid(n->pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "demo: %s did not stop cleanly\n", n->name);
        exit(1);
    }
}

int main(int argc, char **argv) {
    (void)argc;
    /* The node binaries are built beside this one. */
    ssize_t len = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);
    if (len <= 0) {
        snprintf(bindir, sizeof(bindir), "%s", argv[0]);
    } else {
        bindir[len] = '\0';
    }
    char *slash = strrchr(bindir, '/');
    if (slash != NULL)
        *slash = '\0';
    signal(SIGPIPE, SIG_IGN);

    node_t nodes[NODES];
    for (int i = 0; i < NODES; i++) {
        snprintf(nodes[i].name, sizeof(nodes[i].name), "shop%d@127.0.0.1",
                 i + 1);
        nodes[i].port = free_port();
    }
    printf("demo: three nodes on revision 1 of demo/shop.erg\n");
    for (int i = 0; i < NODES; i++)
        start(nodes, i, 1);
    for (int i = 0; i < NODES; i++)
        command(&nodes[i], "run");
    sleep_ms(RUN_MS);

    totals_t t = {0};
    for (int i = 0; i < NODES; i++) {
        printf("demo: upgrading %s to revision 2 (drain, stop, start)\n",
               nodes[i].name);
        fflush(stdout);
        drain(&nodes[i], &t);
        start(nodes, i, 2);
        command(&nodes[i], "run");
        sleep_ms(RUN_MS);
    }
    printf("demo: all nodes on revision 2; draining\n");
    for (int i = 0; i < NODES; i++)
        drain(&nodes[i], &t);

    long lost = (long)t.sent - (long)t.received - (long)t.refused;
    printf("demo: sent=%lu received=%lu converted=%lu refused=%lu lost=%ld "
           "misdecoded=%lu\n",
           t.sent, t.received, t.converted, t.refused, lost, t.misdecoded);
    if (t.disordered != 0)
        printf("demo: %lu orders arrived out of order\n", t.disordered);
    return lost == 0 && t.misdecoded == 0 && t.disordered == 0 &&
                   t.received > 0
               ? 0
               : 1;
}
