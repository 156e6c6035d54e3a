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

#endif
