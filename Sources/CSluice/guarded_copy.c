// A copy out of a file mapping that turns SIGBUS into an error return.
//
// Touching a page of a mapping beyond the current end of the file raises SIGBUS; Swift cannot
// unwind its own frames from a signal handler, so the copy happens here, under a thread-local
// sigsetjmp point. The handler only jumps when the faulting thread is inside the copy; otherwise
// it restores the default action and re-raises, so unrelated faults still crash loudly.
#define _GNU_SOURCE
#include "CSluice.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

static _Thread_local sigjmp_buf *active_jump = NULL;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_action;

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    sigjmp_buf *jump = active_jump;
    if (jump != NULL) {
        active_jump = NULL;
        siglongjmp(*jump, 1);
    }
    // Not ours: fall back to whatever was there before (default: terminate with SIGBUS).
    sigaction(signo, &previous_action, NULL);
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
        return -1;
    }
    active_jump = &jump;
    memcpy(destination, source, length);
    active_jump = NULL;
    return 0;
}
