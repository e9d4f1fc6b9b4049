// What Glibc hides from Swift: the GNU and Linux-only calls svcproxy needs.
// The header defines _GNU_SOURCE itself because a swiftSettings define does not
// reach a C module's headers (see shared LINUX-NOTES).
#ifndef SVCPROXY_CLINUX_H
#define SVCPROXY_CLINUX_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/// accept4 with a plain `struct sockaddr *`: Glibc's transparent-union parameter
/// imports awkwardly into Swift.
/// bind, connect and getsockname with a plain `struct sockaddr *`, for the same reason.
static inline int clinux_bind(int fd, const struct sockaddr *addr, socklen_t len) {
    return bind(fd, addr, len);
}

static inline int clinux_connect(int fd, const struct sockaddr *addr, socklen_t len) {
    return connect(fd, addr, len);
}

static inline int clinux_getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
    return getsockname(fd, addr, len);
}

static inline int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

/// Blocks a signal set for the calling thread; threads created later inherit it.
static inline int clinux_block_signals(const int *signals, int count, sigset_t *out) {
    sigemptyset(out);
    for (int i = 0; i < count; i++) sigaddset(out, signals[i]);
    return pthread_sigmask(SIG_BLOCK, out, NULL);
}

static inline int clinux_ignore_sigpipe(void) {
    struct sigaction action = {0};
    action.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &action, NULL);
}

/// fcntl(F_SETPIPE_SZ): fcntl is variadic, which Swift cannot call.
static inline int clinux_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

static inline int clinux_errno(void) { return errno; }

#endif
