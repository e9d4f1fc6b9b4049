// What Glibc's Swift module hides: epoll, signalfd, eventfd, TCP options, and (through
// functions in shim.c) the GNU-only calls accept4, pipe2, F_SETPIPE_SZ and splice.
//
// This header deliberately does not define _GNU_SOURCE. Headers that the Glibc module
// also includes would then be compiled twice with different macros, and any Swift module
// that imports both (every module that imports Foundation, Logging or Synchronization)
// fails with "has different definitions in different modules". The GNU-only calls are
// therefore defined in shim.c, which does define _GNU_SOURCE, behind plain C signatures.
#ifndef SVCPROXY_CLINUX_H
#define SVCPROXY_CLINUX_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <malloc.h>  /* mallopt, malloc_trim: the daemon keeps RSS flat over reloads */
#include <net/if.h>
#include <netdb.h>  /* getaddrinfo: the API server named by host name */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>  /* sockaddr_ll: gratuitous ARP for load-balancer addresses */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC.
int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len);

/// bind(2), connect(2) and getsockname(2) with a plain `struct sockaddr *`.
int clinux_bind(int fd, const struct sockaddr *addr, socklen_t len);
int clinux_connect(int fd, const struct sockaddr *addr, socklen_t len);
int clinux_getsockname(int fd, struct sockaddr *addr, socklen_t *len);

/// `struct mmsghdr`, which only _GNU_SOURCE declares; shim.c checks that the layouts agree.
struct clinux_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// recvmmsg(2) (MSG_DONTWAIT, no timeout) and sendmmsg(2) (MSG_DONTWAIT).
int clinux_recvmmsg(int fd, struct clinux_mmsghdr *messages, unsigned int count);
int clinux_sendmmsg(int fd, struct clinux_mmsghdr *messages, unsigned int count);

/// pipe2(2) with O_NONBLOCK | O_CLOEXEC.
int clinux_pipe(int ends[2]);

/// fcntl(2) F_SETPIPE_SZ: the pipe's capacity in bytes (rounded up to a power of two pages);
/// returns the capacity set.
int clinux_set_pipe_size(int fd, int bytes);

/// splice(2) with SPLICE_F_MOVE | SPLICE_F_NONBLOCK, no offsets: one end is a pipe.
long clinux_splice(int from, int to, size_t count);

/// Attach to `fd`'s SO_REUSEPORT group (SO_ATTACH_REUSEPORT_CBPF, replacing any program it
/// had) a classic BPF program that picks, for each new connection, the socket at position
/// (receiving CPU modulo `group_size`); or one that picks no position, which leaves the
/// choice to the kernel's hash (an index past the group's end falls back to it).
int clinux_reuseport_steer_by_cpu(int fd, unsigned group_size);
int clinux_reuseport_steer_by_hash(int fd);

/// Blocks a set of signals for the calling thread; threads created later inherit it.
/// Fills `out` with the set, for signalfd.
int clinux_block_signals(const int *signals, int count, sigset_t *out);

/// Makes writes to a closed connection fail with EPIPE instead of killing the process.
int clinux_ignore_sigpipe(void);

/// pthread_setname_np(3).
int clinux_set_thread_name(pthread_t thread, const char *name);

/// The calling thread's errno.
int clinux_errno(void);

/// An io_uring (liburing) that sends from buffers: a worker queues the sends of one turn of
/// its loop and makes them all in one io_uring_enter(2). Opaque to Swift.
struct clinux_send_ring;

/// A ring with room for `entries` queued sends, or NULL with errno set (ENOSYS, EPERM when
/// io_uring is disabled or filtered, EINVAL on kernels older than 6.1).
struct clinux_send_ring *clinux_send_ring_open(unsigned entries);
void clinux_send_ring_close(struct clinux_send_ring *ring);

/// Queues send(fd, buffer, count, MSG_NOSIGNAL | MSG_DONTWAIT) under `token`, with
/// MSG_MORE too when `more` is nonzero; 0 when the ring is full. Nothing is sent before
/// clinux_send_ring_submit.
int clinux_send_ring_queue(struct clinux_send_ring *ring, int fd, const void *buffer, unsigned count,
                           unsigned long long token, int more);

/// Turns the queued, not yet submitted send with `token` into a no-op that reports
/// nothing: its descriptor may close and its buffer be reused. Returns how many it withdrew.
int clinux_send_ring_withdraw(struct clinux_send_ring *ring, unsigned long long token);

/// Submits the `queued` entries (withdrawn ones included), waits for them, and copies the
/// completions of sends into `tokens` and `results` (bytes sent, or -errno); returns how
/// many. When io_uring_enter(2) fails, `failure` is its errno and the entries it did not
/// take become no-ops that report nothing, so no send is left to run later.
int clinux_send_ring_submit(struct clinux_send_ring *ring, unsigned long long *tokens, int *results, int queued,
                            int *failure);

#endif
