// A copy out of a file mapping that turns SIGBUS into an error return.
//
// Touching a page of a mapping beyond the current end of the file raises SIGBUS; Swift cannot
// unwind its own frames from a signal handler, so the copy happens here, under a thread-local
// sigsetjmp point. The handler only jumps when the faulting thread is inside the copy; otherwise
// it restores the previous action and re-raises, so unrelated faults still crash loudly.
//
// Trap (issue 13): the handler reads `active_jump`, but nothing in this function's own code does,
// so an optimiser is free to drop the store before the memcpy as dead. It did (clang -O2): the
// handler then found no jump point and a truncated file killed the whole run. The pointer is
// therefore `volatile`, and signal fences keep the copy's memory accesses between the store that
// arms the guard and the one that disarms it. Package.swift builds this target with -O2 even in
// debug builds, so the tests exercise the optimised code.
#define _GNU_SOURCE
#include "CSluice.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static _Thread_local sigjmp_buf *volatile active_jump = NULL;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_action;

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    sigjmp_buf *jump = active_jump;
    if (jump != NULL) {
        active_jump = NULL;
        siglongjmp(*jump, 1);
    }
    // Not ours: hand the signal to whatever was there before (default: terminate with SIGBUS).
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) {
            previous_action.sa_sigaction(signo, info, context);
            return;
        }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(signo);
        return;
    }
    signal(signo, SIG_DFL);
    raise(signo);
}

static void install_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

int sluice_guarded_copy(void *destination, const void *source, size_t length) {
    pthread_once(&install_once, install_handler);
    sigjmp_buf jump;
    if (sigsetjmp(jump, 1) != 0) {
        atomic_signal_fence(memory_order_seq_cst);
        return -1;
    }
    active_jump = &jump;
    atomic_signal_fence(memory_order_seq_cst);
    memcpy(destination, source, length);
    atomic_signal_fence(memory_order_seq_cst);
    active_jump = NULL;
    return 0;
}
