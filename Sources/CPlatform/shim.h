// What Swift cannot say about the processor and the scheduler.
#ifndef RNNSTEP_CPLATFORM_SHIM_H
#define RNNSTEP_CPLATFORM_SHIM_H

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

/// Tells the core that this thread is spinning on a flag (x86 `pause`, arm `yield`), so that a
/// hyperthread sharing the core runs at full speed and the spin does not flood the memory system.
static inline void rnnstep_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

/// Keeps the calling thread on one CPU (Linux; elsewhere it does nothing). Returns 0 on success.
/// The syscall, because glibc declares sched_setaffinity only under _GNU_SOURCE.
static inline int rnnstep_pin_to_cpu(int cpu) {
#if defined(__linux__) && defined(SYS_sched_setaffinity)
  unsigned long mask[16] = {0};
  const int bits = (int)(8 * sizeof(unsigned long));
  if (cpu < 0 || cpu >= 16 * bits) return -1;
  mask[cpu / bits] |= 1UL << (cpu % bits);
  return (int)syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask);
#else
  (void)cpu;
  return -1;
#endif
}

/// The highest-numbered CPU the calling thread may run on, and (in `count`) how many it may run
/// on; -1 where that cannot be known.
static inline int rnnstep_last_allowed_cpu(int *count) {
  *count = 0;
#if defined(__linux__) && defined(SYS_sched_getaffinity)
  unsigned long mask[16] = {0};
  const int bits = (int)(8 * sizeof(unsigned long));
  if (syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask) < 0) return -1;
  int last = -1;
  for (int cpu = 0; cpu < 16 * bits; cpu++) {
    if (mask[cpu / bits] & (1UL << (cpu % bits))) {
      last = cpu;
      *count += 1;
    }
  }
  return last;
#else
  return -1;
#endif
}

/// The calling thread's CPU mask, saved to put back with rnnstep_set_cpu_mask.
typedef struct { unsigned long bits[16]; } rnnstep_cpu_mask;

/// Saves the calling thread's CPU mask into `saved`, then keeps the thread off core `cpu` (the
/// helper thread's), on the other cores it may use. Returns 0 when it changed the mask; leaves it
/// alone (returning -1) when that core is the only one the thread may use.
static inline int rnnstep_keep_off_cpu(int cpu, rnnstep_cpu_mask *saved) {
#if defined(__linux__) && defined(SYS_sched_getaffinity) && defined(SYS_sched_setaffinity)
  const int bits = (int)(8 * sizeof(unsigned long));
  if (cpu < 0 || cpu >= 16 * bits) return -1;
  for (int i = 0; i < 16; i++) saved->bits[i] = 0;
  if (syscall(SYS_sched_getaffinity, 0, sizeof(saved->bits), saved->bits) < 0) return -1;
  rnnstep_cpu_mask mask = *saved;
  mask.bits[cpu / bits] &= ~(1UL << (cpu % bits));
  int others = 0;
  for (int i = 0; i < 16; i++) others |= mask.bits[i] != 0;
  if (!others) return -1;
  return (int)syscall(SYS_sched_setaffinity, 0, sizeof(mask.bits), mask.bits);
#else
  (void)cpu;
  (void)saved;
  return -1;
#endif
}

/// Puts back a CPU mask saved by rnnstep_keep_off_cpu.
static inline void rnnstep_set_cpu_mask(const rnnstep_cpu_mask *mask) {
#if defined(__linux__) && defined(SYS_sched_setaffinity)
  (void)syscall(SYS_sched_setaffinity, 0, sizeof(mask->bits), mask->bits);
#else
  (void)mask;
#endif
}

#endif
