// libedit for Swift. el_set, el_get and history are C variadics, which Swift cannot call, and
// Swift 6 rejects the global stdin/stdout as not concurrency-safe: these static inline wrappers
// give each use a plain signature. A system library target cannot hold .c files, hence inline.
#ifndef RNNSTEP_CLIBEDIT_SHIM_H
#define RNNSTEP_CLIBEDIT_SHIM_H

#include <histedit.h>
#include <stdio.h>

#include <signal.h>
#include <string.h>

typedef char *(*rnnstep_prompt_fn)(EditLine *);

/// Set when the process continues after a stop (Ctrl-Z, then fg): the read in el_gets is
/// interrupted then, and the line editor puts the terminal back in its own mode.
static volatile sig_atomic_t rnnstep_continued = 0;
static void rnnstep_on_continue(int signal) {
  (void)signal;
  rnnstep_continued = 1;
}
/// Installs the SIGCONT handler, without SA_RESTART so that the read returns.
static inline void rnnstep_watch_continue(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = rnnstep_on_continue;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCONT, &action, NULL);
}
/// Whether the process continued since the last call (and clears it).
static inline int rnnstep_take_continued(void) {
  int was = rnnstep_continued;
  rnnstep_continued = 0;
  return was;
}
typedef unsigned char (*rnnstep_command_fn)(EditLine *, int);

static inline EditLine *rnnstep_el_init(const char *program) {
  return el_init(program, stdin, stdout, stderr);
}
static inline int rnnstep_el_set_prompt(EditLine *el, rnnstep_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
static inline int rnnstep_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int rnnstep_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
static inline int rnnstep_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *rnnstep_el_get_clientdata(EditLine *el) {
  void *data = NULL;
  el_get(el, EL_CLIENTDATA, &data);
  return data;
}
static inline int rnnstep_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int rnnstep_el_addfn(EditLine *el, const char *name, const char *help, rnnstep_command_fn fn) {
  return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int rnnstep_el_bind(EditLine *el, const char *key, const char *command) {
  return el_set(el, EL_BIND, key, command, NULL);
}
static inline int rnnstep_el_source_defaults(EditLine *el) { return el_source(el, NULL); }
/// Empties the line being edited (after Ctrl-C).
static inline void rnnstep_clear_line(EditLine *el) {
  const LineInfo *info = el_line(el);
  el_cursor(el, (int)(info->lastchar - info->cursor));
  el_deletestr(el, (int)(info->lastchar - info->buffer));
}

static inline int rnnstep_history_setsize(History *h, int size) {
  HistEvent ev;
  return history(h, &ev, H_SETSIZE, size);
}
static inline int rnnstep_history_setunique(History *h, int unique) {
  HistEvent ev;
  return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int rnnstep_history_enter(History *h, const char *line) {
  HistEvent ev;
  return history(h, &ev, H_ENTER, line);
}
static inline int rnnstep_history_load(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_LOAD, path);
}
static inline int rnnstep_history_save(History *h, const char *path) {
  HistEvent ev;
  return history(h, &ev, H_SAVE, path);
}
/// The entries from oldest to newest: call with first = 1, then 0, until it returns NULL.
static inline const char *rnnstep_history_walk(History *h, int first) {
  HistEvent ev;
  if (history(h, &ev, first ? H_LAST : H_PREV) < 0) return NULL;
  return ev.str;
}

#endif
