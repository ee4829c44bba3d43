// SIGBUS on file mappings, turned from a crash into a report.
//
// Touching a page of a mapping beyond the current end of the file (another process truncated
// it) raises SIGBUS. One process-wide handler serves two kinds of access:
//
// 1. Guarded copies (`sluice_guarded_copy`, `--read mmap` into staging). The copy runs under a
//    thread-local sigsetjmp point; the handler jumps back to it and the copy returns -1.
// 2. In-place hashing (`sluice_guard_mapping`). The SIMD kernels read the mapping directly, from
//    Swift frames that must not be unwound, so no jump is possible. Instead the handler looks the
//    faulting address up among the registered mappings, flags that registration, and maps an
//    anonymous zero page over the faulting page (`MAP_FIXED`). Returning from the handler retries
//    the access, which now reads zeros: the kernel finishes its batch on wrong bytes, and the
//    flag tells its caller to report the file as changed instead of using the digest. The flag is
//    set before the zero page appears, so every access that reads a zero page happens after it.
//
// Any other SIGBUS goes to the previous action (default: terminate), so unrelated faults still
// crash loudly.
//
// Trap (issue 13): the handler reads `active_jump`, but nothing in `sluice_guarded_copy`'s own
// code does, so an optimiser is free to drop the store before the memcpy as dead. It did (clang
// -O2): the handler then found no jump point and a truncated file killed the whole run. The
// pointer is therefore `volatile`, and signal fences keep the copy's memory accesses between the
// store that arms the guard and the one that disarms it. Package.swift builds this target with
// -O2 even in debug builds, so the tests exercise the optimised code.
//
// Registrations live in a fixed table of atomics: the handler may run on any thread at any
// moment and can take no lock. A slot is claimed by a compare-and-swap of its `state`.
#define _GNU_SOURCE
#include "CSluice.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static _Thread_local sigjmp_buf *volatile active_jump = NULL;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_action;
static uintptr_t page_size = 4096;

enum { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_ACTIVE = 2 };

struct guarded_mapping {
    _Atomic int state;
    _Atomic uintptr_t start;
    _Atomic uintptr_t end;
    _Atomic int faulted;
};

static struct guarded_mapping mappings[SLUICE_GUARDED_MAPPINGS];
/// One past the highest slot ever claimed: the handler scans no further.
static _Atomic int mappings_in_use = 0;
/// Zero pages mapped over vanished pages since the process started.
static _Atomic uint64_t patched_pages = 0;

/// Patches the faulting page when it lies in a registered mapping. Returns 1 if it did.
static int patch_registered(uintptr_t address) {
    int count = atomic_load(&mappings_in_use);
    for (int index = 0; index < count; index++) {
        struct guarded_mapping *slot = &mappings[index];
        if (atomic_load(&slot->state) != SLOT_ACTIVE) continue;
        if (address < atomic_load(&slot->start) || address >= atomic_load(&slot->end)) continue;
        atomic_store(&slot->faulted, 1);
        void *page = (void *)(address & ~(page_size - 1));
        void *patched = mmap(page, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (patched != page) return 0;
        atomic_fetch_add(&patched_pages, 1);
        return 1;
    }
    return 0;
}

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    if (info != NULL && patch_registered((uintptr_t)info->si_addr)) return;
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
    long size = sysconf(_SC_PAGESIZE);
    if (size > 0) page_size = (uintptr_t)size;
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

int sluice_guard_mapping(const void *start, size_t length) {
    pthread_once(&install_once, install_handler);
    for (int index = 0; index < SLUICE_GUARDED_MAPPINGS; index++) {
        struct guarded_mapping *slot = &mappings[index];
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot->state, &expected, SLOT_CLAIMED)) continue;
        atomic_store(&slot->start, (uintptr_t)start);
        atomic_store(&slot->end, (uintptr_t)start + length);
        atomic_store(&slot->faulted, 0);
        int count = atomic_load(&mappings_in_use);
        while (count <= index && !atomic_compare_exchange_weak(&mappings_in_use, &count, index + 1)) {}
        atomic_store(&slot->state, SLOT_ACTIVE);
        return index;
    }
    return -1;
}

int sluice_mapping_faulted(int handle) {
    if (handle < 0 || handle >= SLUICE_GUARDED_MAPPINGS) return 0;
    return atomic_load(&mappings[handle].faulted);
}

void sluice_unguard_mapping(int handle) {
    if (handle < 0 || handle >= SLUICE_GUARDED_MAPPINGS) return;
    atomic_store(&mappings[handle].state, SLOT_FREE);
}

uint64_t sluice_patched_pages(void) {
    return atomic_load(&patched_pages);
}

void sluice_touch_pages(const void *start, size_t length, size_t stride) {
    // Volatile loads: the compiler must keep every one, though their values are unused.
    const volatile uint8_t *bytes = (const volatile uint8_t *)start;
    for (size_t offset = 0; offset < length; offset += stride) (void)bytes[offset];
}
