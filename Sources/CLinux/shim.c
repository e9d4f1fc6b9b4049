// The GNU-only calls behind CLinux.h's plain signatures (see the header for why).
#define _GNU_SOURCE 1
#include "CLinux.h"

#include <linux/filter.h>
#include <liburing.h>
#include <stdlib.h>

int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int clinux_bind(int fd, const struct sockaddr *addr, socklen_t len) { return bind(fd, addr, len); }

int clinux_connect(int fd, const struct sockaddr *addr, socklen_t len) { return connect(fd, addr, len); }

int clinux_getsockname(int fd, struct sockaddr *addr, socklen_t *len) { return getsockname(fd, addr, len); }

_Static_assert(sizeof(struct clinux_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct clinux_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int clinux_recvmmsg(int fd, struct clinux_mmsghdr *messages, unsigned int count) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, MSG_DONTWAIT, NULL);
}

int clinux_sendmmsg(int fd, struct clinux_mmsghdr *messages, unsigned int count) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, MSG_DONTWAIT);
}

int clinux_pipe(int ends[2]) { return pipe2(ends, O_NONBLOCK | O_CLOEXEC); }

int clinux_set_pipe_size(int fd, int bytes) { return fcntl(fd, F_SETPIPE_SZ, bytes); }

long clinux_splice(int from, int to, size_t count) {
    return splice(from, NULL, to, NULL, count, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

static int reuseport_attach(int fd, struct sock_filter *code, unsigned short length) {
    struct sock_fprog program = { .len = length, .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
}

int clinux_reuseport_steer_by_cpu(int fd, unsigned group_size) {
    // A <- the CPU this runs on (the one processing the SYN); A <- A % group_size;
    // return A: the index of the socket in the group that takes the connection.
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (__u32)(SKF_AD_OFF + SKF_AD_CPU)),
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, group_size),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    return reuseport_attach(fd, code, sizeof code / sizeof code[0]);
}

int clinux_reuseport_steer_by_hash(int fd) {
    // No group is this large: the kernel falls back to its hash. Replacing the program,
    // rather than detaching it (SO_DETACH_REUSEPORT_BPF), works on every kernel with the
    // attach (detaching came in Linux 5.3).
    struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0xffffffff) };
    return reuseport_attach(fd, code, 1);
}

int clinux_block_signals(const int *signals, int count, sigset_t *out) {
    sigemptyset(out);
    for (int i = 0; i < count; i++) sigaddset(out, signals[i]);
    return pthread_sigmask(SIG_BLOCK, out, NULL);
}

int clinux_ignore_sigpipe(void) {
    struct sigaction action = {0};
    action.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &action, NULL);
}

int clinux_set_thread_name(pthread_t thread, const char *name) { return pthread_setname_np(thread, name); }

int clinux_errno(void) { return errno; }

struct clinux_send_ring {
    struct io_uring ring;
};

struct clinux_send_ring *clinux_send_ring_open(unsigned entries) {
    struct clinux_send_ring *ring = calloc(1, sizeof *ring);
    if (!ring) return NULL;
    // One thread submits, and completions are only wanted when it asks: the kernel then
    // runs their work inside that thread's io_uring_enter, with no wake-up of its own.
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL};
    int error = io_uring_queue_init_params(entries, &ring->ring, &params);
    if (error < 0) {
        free(ring);
        errno = -error;
        return NULL;
    }
    return ring;
}

void clinux_send_ring_close(struct clinux_send_ring *ring) {
    io_uring_queue_exit(&ring->ring);
    free(ring);
}

int clinux_send_ring_queue(struct clinux_send_ring *ring, int fd, const void *buffer, unsigned count,
                           unsigned long long token, int more) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (!sqe) return 0;
    // MSG_DONTWAIT: a send the socket cannot take now completes with -EAGAIN inside the
    // submit instead of waiting in the kernel, so no buffer stays in use past it.
    io_uring_prep_send(sqe, fd, buffer, count, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
    io_uring_sqe_set_data64(sqe, token);
    return 1;
}

/* The token of a no-op that stands in for a withdrawn or abandoned send: never reported. */
static const unsigned long long send_ring_nothing = ~0ULL;

/* Makes the entry a no-op whose completion is not reported. */
static void send_ring_neutralize(struct io_uring_sqe *sqe) {
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, send_ring_nothing);
}

int clinux_send_ring_withdraw(struct clinux_send_ring *ring, unsigned long long token) {
    struct io_uring_sq *sq = &ring->ring.sq;
    int withdrawn = 0;
    // Entries from sqe_head on are not yet published to the kernel.
    for (unsigned i = sq->sqe_head; i != sq->sqe_tail; i++) {
        struct io_uring_sqe *sqe = &sq->sqes[i & sq->ring_mask];
        if (sqe->opcode != IORING_OP_SEND || sqe->user_data != token) continue;
        send_ring_neutralize(sqe);
        withdrawn++;
    }
    return withdrawn;
}

int clinux_send_ring_submit(struct clinux_send_ring *ring, unsigned long long *tokens, int *results, int queued,
                            int *failure) {
    // Every send completes inside the submit (MSG_DONTWAIT); waiting for them all makes
    // that a guarantee rather than an expectation.
    int submitted = io_uring_submit_and_wait(&ring->ring, (unsigned)queued);
    *failure = submitted < 0 ? -submitted : 0;
    // Entries published but not taken (a failed or partial submit) would be taken by the
    // next one, after their connections may have closed: they become no-ops now.
    struct io_uring_sq *sq = &ring->ring.sq;
    for (unsigned i = io_uring_smp_load_acquire(sq->khead); i != sq->sqe_tail; i++) {
        send_ring_neutralize(&sq->sqes[i & sq->ring_mask]);
    }
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int count = 0;
    io_uring_for_each_cqe(&ring->ring, head, cqe) {
        seen++;
        if (cqe->user_data == send_ring_nothing || count == queued) continue;
        tokens[count] = cqe->user_data;
        results[count] = cqe->res;
        count++;
    }
    io_uring_cq_advance(&ring->ring, seen);
    return count;
}
