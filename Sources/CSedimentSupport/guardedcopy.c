// guardedcopy.c: copies out of a memory-mapped file under a SIGBUS guard (DESIGN.md §6
// "Mapped reads"). A mapped table that shrinks under the mapping (truncated by another process,
// or a file system error) makes the next touch of a page past its new end raise SIGBUS; inside
// `sediment_guarded_copy` that signal jumps back out of the copy, which then reports failure,
// so the caller can throw a typed error instead of the process dying. A SIGBUS anywhere else goes
// to whatever handler was installed before ours (or the default action, which ends the process).
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include "CSedimentSupport.h"

// The jump buffer of the guarded copy running on this thread, or NULL. initial-exec TLS, so the
// handler reads it without calling into the dynamic loader.
static __thread sigjmp_buf *volatile guard_target __attribute__((tls_model("initial-exec")));
static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int installed = 0;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    sigjmp_buf *target = guard_target;
    if (target != NULL && info != NULL && info->si_code > 0) {
        guard_target = NULL;
        siglongjmp(*target, 1);
    }
    // Not ours: hand the signal to the previous disposition. A fault re-executes the faulting
    // instruction on return, which raises SIGBUS again under the restored action; a sent signal
    // (si_code <= 0) is raised again explicitly.
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) { previous_action.sa_sigaction(sig, info, context); return; }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
        return;
    }
    sigaction(SIGBUS, &previous_action, NULL);
    if (info == NULL || info->si_code <= 0) raise(SIGBUS);
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    // SA_NODEFER: the jump leaves the handler without sigreturn, so SIGBUS must not stay
    // blocked on this thread (sigsetjmp without a saved mask costs no system call).
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    installed = sigaction(SIGBUS, &action, &previous_action) == 0;
}

int sediment_install_sigbus_guard(void) {
    pthread_once(&install_once, install);
    return installed ? 0 : -1;
}

int sediment_guarded_copy(void *destination, const void *source, size_t count) {
    sigjmp_buf target;
    if (sigsetjmp(target, 0) != 0) {
        return -1;
    }
    guard_target = &target;
    memcpy(destination, source, count);
    guard_target = NULL;
    return 0;
}
