// What Swift cannot say about the processor.
#ifndef RNNSTEP_CPLATFORM_SHIM_H
#define RNNSTEP_CPLATFORM_SHIM_H

/// Tells the core that this thread is spinning on a flag (x86 `pause`, arm `yield`), so that a
/// hyperthread sharing the core runs at full speed and the spin does not flood the memory system.
static inline void rnnstep_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

#endif
