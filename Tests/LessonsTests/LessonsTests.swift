import Foundation
import Interpreter
import Testing

@testable import Lessons

@Suite("Lesson files")
struct LessonFormatTests {
  let text = """
    # A lesson

    Intro prose.

    ## First

    ```rnnstep
    (rnnstep) echo one
    one
    (rnnstep) print 1 + 1
    1 + 1 = 2
    ```

    ## Second

    ```rnnstep tolerance=1e-2
    (rnnstep) print 1/3
    1/3 = 0.334
    ```

    ```exercise
    question: What is 2 + 2?
    answer: 2 + 2
    tolerance: 0
    hint: count
    hint: four
    solution: print 2 + 2
    ```
    """

  @Test("sections, prose, transcripts with their lines, exercises")
  func parse() throws {
    let lesson = try Lesson.parse(text, path: "lessons/07-sample.md")
    #expect(lesson.number == 7)
    #expect(lesson.title == "A lesson")
    #expect(lesson.sections.map(\.heading) == ["", "First", "Second"])
    #expect(lesson.transcripts.count == 2)
    let first = lesson.transcripts[0]
    #expect(first.steps.map(\.command) == ["echo one", "print 1 + 1"])
    #expect(first.steps.map(\.line) == [8, 10])
    #expect(first.steps[1].expected == ["1 + 1 = 2"])
    #expect(lesson.transcripts[1].tolerance == 1e-2)
    guard case .exercise(let e) = lesson.sections[2].items[1] else {
      Issue.record("no exercise")
      return
    }
    #expect(e.question == "What is 2 + 2?")
    #expect(e.answerExpression == "2 + 2")
    #expect(e.hints == ["count", "four"])
    #expect(e.solution == ["print 2 + 2"])
  }

  @Test("malformed lessons say what and where")
  func errors() {
    #expect(throws: LessonError.self) { try Lesson.parse("```rnnstep\n(rnnstep) step\n", path: "x.md") }
    do {
      _ = try Lesson.parse("```rnnstep\nstray output\n```\n", path: "x.md")
    } catch {
      #expect("\(error)" == "x.md:2: output before the first command (commands start with '(rnnstep) ')")
    }
    do {
      _ = try Lesson.parse("```exercise\nquestion: q\n```\n", path: "x.md")
    } catch {
      #expect(
        "\(error)"
          == "x.md:1: an exercise needs exactly one of answer (an expression), answer-words and answer-equation")
    }
  }

  @Test("matching: ... spans lines, [..] spans text, tolerance compares numbers")
  func matching() {
    #expect(OutputMatcher.matches(["a", "b", "c"], ["a", "...", "c"], tolerance: nil))
    #expect(OutputMatcher.matches(["a", "c"], ["a", "...", "c"], tolerance: nil))
    #expect(!OutputMatcher.matches(["a", "b"], ["a", "...", "c"], tolerance: nil))
    #expect(OutputMatcher.matches(["x = 0.1234 (ok)"], ["x = [..] (ok)"], tolerance: nil))
    #expect(!OutputMatcher.matches(["x = 0.1234 (no)"], ["x = [..] (ok)"], tolerance: nil))
    #expect(OutputMatcher.matches(["h = [0.4481, -1.2e-05]"], ["h = [0.448, -1.2e-05]"], tolerance: 1e-3))
    #expect(!OutputMatcher.matches(["h = [0.4481, -1.2e-05]"], ["h = [0.448, -1.2e-05]"], tolerance: 1e-5))
    #expect(!OutputMatcher.matches(["h = [0.4481]"], ["g = [0.4481]"], tolerance: 1e-3))
    #expect(!OutputMatcher.matches(["a", "extra"], ["a"], tolerance: nil))
  }
}

@Suite("Check mode and guided mode")
struct LessonRunTests {
  func folder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "rnnstep-lessons-\(UInt64.random(in: 0...UInt64.max))"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  let lesson = """
    # Tiny

    First look.

    ```rnnstep
    (rnnstep) echo first
    first
    (rnnstep) step
    forward t=1/4  a  [..]
    ...
    ```

    ## Next

    ```exercise
    question: What is h0[1]?
    answer: h0[1]
    hint: h0 is zero.
    solution: print h0
    ```

    ```exercise
    question: Which parameter is H×H?
    answer-words: Whh
    solution: print shape(Whh)
    ```
    """

  @Test("check passes a matching lesson and reports a mismatch with file, line, expected, actual")
  func check() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let good = LessonChecker.check(paths: [dir + "/01-tiny.md"], bless: false)
    #expect(good.failures == 0)
    #expect(good.lines.last == "all match: 1 file, 2 commands, 2 exercises")
    try lesson.replacingOccurrences(of: "first\n(rnnstep) step", with: "second\n(rnnstep) step")
      .write(toFile: dir + "/02-bad.md", atomically: true, encoding: .utf8)
    let bad = LessonChecker.check(paths: [dir + "/02-bad.md"], bless: false)
    #expect(bad.failures == 1)
    #expect(
      bad.lines.prefix(5) == [
        "\(dir)/02-bad.md:6: (rnnstep) echo first", "  expected:", "    second", "  actual:", "    first",
      ])
    // --bless rewrites the expected output; then it matches.
    let blessed = LessonChecker.check(paths: [dir + "/02-bad.md"], bless: true)
    #expect(blessed.lines.first == "\(dir)/02-bad.md: rewrote the output of 1 command")
    #expect(LessonChecker.check(paths: [dir + "/02-bad.md"], bless: false).failures == 0)
    #expect(try String(contentsOfFile: dir + "/02-bad.md", encoding: .utf8).contains("(rnnstep) echo first\nfirst\n"))
  }

  @Test("lessons are read when first needed: a file that cannot be parsed is named by the lesson commands alone")
  func lessonsReadOnFirstUse() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let broken = "# Broken\n\n```rnnstep\n(rnnstep) echo x\nx\n"
    try broken.write(toFile: dir + "/02-broken.md", atomically: true, encoding: .utf8)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    // Commands that are not about lessons never read them.
    #expect(i.execute("echo hello").lines == ["hello"])
    let reason = "a lesson could not be read: \(dir)/02-broken.md:3: the block is not closed with ```"
    #expect(i.execute("lessons").lines == [reason])
    #expect(i.execute("lesson 1").error == reason)
    #expect(i.execute("print 1 + 1").lines == ["1 + 1 = 2"])
    // Once the file is mended, the next lesson command reads both.
    try "# Mended\n\nNothing to run.\n".write(toFile: dir + "/02-broken.md", atomically: true, encoding: .utf8)
    #expect(i.execute("lessons").lines.count == 3)
  }

  @Test("a progress file naming places the lessons do not have resumes at a lesson's start, never past its end")
  func progressOutsideTheLessons() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let state = dir + "/state.json"
    // A lesson that is gone (99), a section past the lesson's end, a step past a transcript's, a
    // negative item, a place filed under another lesson's number: each stopped rnnstep.
    let saved = [
      #"{"current":{"lesson":99,"section":0,"item":0,"step":0},"done":[],"#
        + #""reached":{"99":{"lesson":99,"section":0,"item":0,"step":0}}}"#,
      #"{"current":{"lesson":1,"section":40,"item":7,"step":3},"done":[],"#
        + #""reached":{"1":{"lesson":1,"section":40,"item":7,"step":3}}}"#,
      #"{"current":{"lesson":1,"section":0,"item":1,"step":50},"done":[],"#
        + #""reached":{"1":{"lesson":1,"section":0,"item":1,"step":50}}}"#,
      #"{"current":{"lesson":1,"section":0,"item":-1,"step":0},"done":[],"#
        + #""reached":{"1":{"lesson":1,"section":0,"item":-1,"step":0}}}"#,
      #"{"current":{"lesson":1,"section":0,"item":0,"step":0},"done":[],"#
        + #""reached":{"1":{"lesson":7,"section":1,"item":0,"step":0}}}"#,
    ]
    for text in saved {
      try text.write(toFile: state, atomically: true, encoding: .utf8)
      let i = Interpreter()
      i.lessonHost = try Guide(directory: dir, statePath: state)
      let start = i.execute("lesson").lines
      #expect(start.first == "Lesson 1: Tiny  (Enter runs the offered command; lesson stop leaves)", "\(text)")
      #expect(start.last == "› echo first   (Enter runs it)", "\(text)")
      #expect(i.execute("lesson stop; lesson 1").lines.last == "› echo first   (Enter runs it)", "\(text)")
      #expect(i.execute("lessons").lines.first!.hasPrefix("1   Tiny"), "\(text)")
    }
  }

  @Test("a lesson works on a session of its own: lesson stop gives the learner's back, whatever the lesson changed")
  func sessionAroundLesson() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    i.execute("lr 0.3; display h0; step; step")
    let before = i.session
    #expect(before.cursorIndex == 1)
    i.execute("lesson 1")
    // The lesson starts from the built-in session...
    #expect(i.session.training == TrainingSettings() && i.session.displays.isEmpty)
    // ...and whatever it changes stays in it.
    i.execute("optimizer sgd; lr 0.01; clip norm 1; seqlen 3; display h; break dh; set eps 1e-4; bptt seed")
    i.execute("lesson stop")
    #expect(i.session == before)  // the cursor too: where the learner left it
    #expect(i.execute("info step").lines.first?.hasPrefix("at forward t=1 h") == true)
    #expect(
      i.execute("info").lines.contains(
        "train: optimizer adagrad, learning rate 0.3, clip each element to ±5, seqlen 25"))
    // Leaving a lesson entered from the built-in session gives the built-in settings back.
    let fresh = Interpreter()
    fresh.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    fresh.execute("lesson 1; optimizer sgd; lr 0.01; lesson stop")
    #expect(fresh.session == Session.builtIn())
    #expect(
      fresh.execute("info model").lines.contains(
        "train: optimizer adagrad, learning rate 0.1, clip each element to ±5, seqlen 25"))
  }

  @Test("a right equation is installed over min-char-rnn's, even when a mystery or the seed was in force")
  func equationAnswerInstalls() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let text = """
      # Equations

      ```exercise
      question: Write dh_raw.
      answer-equation: dh_raw = (1 - h*h) * dh
      hint: tanh's slope.
      solution: let dh_raw = (1 - h*h) * dh
      ```
      """
    try text.write(toFile: dir + "/01-eq.md", atomically: true, encoding: .utf8)
    for before in ["bptt mystery 3", "bptt seed"] {
      let i = Interpreter()
      i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
      i.execute("lesson 1 restart")
      i.execute(before)
      let reply = i.execute("(1 - h*h) * dh")
      #expect(reply.lines.first == "right: dh_raw = (1 - h*h) * dh gives dh_raw at every step.", "\(before)")
      #expect(reply.error == nil && !reply.lines.contains { $0.hasPrefix("error") }, "\(before): \(reply.lines)")
      #expect(i.session.variant == .equations && i.session.equationBase == .correct, "\(before)")
      #expect(i.session.equations == ["dh_raw": "(1 - h*h) * dh"], "\(before)")
    }
  }

  @Test("an answer that starts with a command's name is judged when it reads as an answer")
  func answerNamedLikeCommand() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let text = """
      # Loss

      ```exercise
      question: What is the total loss of the pass?
      answer: loss
      tolerance: 0.001
      hint: print loss.
      solution: print loss
      ```
      """
    try text.write(toFile: dir + "/01-loss.md", atomically: true, encoding: .utf8)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    i.execute("lesson 1")
    i.execute("run")  // a command: it runs, and the question stays open
    #expect(i.execute("loss").lines.first == "right: loss = 4.683")
    // A command that does not read as an answer still runs: step moves the cursor.
    i.execute("lesson 1 restart")
    #expect(i.execute("step").lines.first!.hasPrefix("forward t=1/4  a"))
  }

  @Test("lesson typed inside the running lesson says where it is and leaves the session alone")
  func lessonInsideLesson() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    i.execute("lesson 1")
    i.execute("bptt mystery 8; step; step")
    let explored = i.session
    for command in ["lesson", "lesson 1"] {
      let lines = i.execute(command).lines
      #expect(lines.first?.hasPrefix("lesson 1 goes on where you are, your session as you left it") == true)
      #expect(lines.last == "› echo first   (Enter runs it)")
      #expect(i.session == explored)
    }
    // restart does start it again, from the built-in session.
    i.execute("lesson 1 restart")
    #expect(i.session.variant == .correct)
  }

  @Test("guided mode offers commands, asks exercises, keeps progress, resumes")
  func guided() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let state = dir + "/state.json"
    let guide = try Guide(directory: dir, statePath: state)
    let i = Interpreter()
    i.lessonHost = guide
    #expect(i.execute("lessons").lines.first!.hasPrefix("1   Tiny"))
    let start = i.execute("lesson 1").lines
    #expect(start.first == "Lesson 1: Tiny  (Enter runs the offered command; lesson stop leaves)")
    #expect(start.contains("First look."))
    #expect(start.last == "› echo first   (Enter runs it)")
    #expect(i.prompt == "(lesson 1) ")
    #expect(i.execute("").lines == ["first", "› step   (Enter runs it)"])
    // Any other command runs and the offer stays.
    #expect(i.execute("print 2 * 3").lines == ["2 * 3 = 6"])
    // The offered command typed out takes the offer: it runs once, and the lesson moves on.
    let stepped = i.execute(" step ").lines
    #expect(i.session.cursorIndex == 0)
    #expect(stepped.first!.hasPrefix("forward t=1/4  a"))
    #expect(stepped.last!.hasPrefix("— end of section."))
    let exercise = i.execute("").lines
    #expect(exercise.contains("Exercise: What is h0[1]?"))
    #expect(i.prompt == "(answer) ")
    #expect(i.execute("7").lines == ["not quite: try again, or type hint or solution"])
    // An expression's value is shown beside the verdict.
    #expect(i.execute("3 + 4").lines == ["not quite: 3 + 4 = 7; try again, or type hint or solution"])
    // "k = 7" answers as 7 does.
    #expect(i.execute("k = 7").lines == ["not quite: try again, or type hint or solution"])
    // An answer that does not evaluate says why.
    #expect(
      i.execute("h0[9]").lines == [
        "element index 9 is outside 0 to 2 (shape 3×1) (column 3): answer with a number or an expression that "
          + "gives one (or type hint or solution)"
      ])
    #expect(i.execute("hint").lines == ["hint 1 of 1: h0 is zero."])
    #expect(i.execute("3 - 3").lines.first == "right: h0[1] = 0")  // an expression is judged by its value
    // Leave in the middle, and come back in a new session: the place is kept.
    #expect(
      i.execute("lesson stop").lines == [
        "left lesson 1 (lesson resumes it where you were); your session is as before the lesson"
      ])
    let again = Interpreter()
    again.lessonHost = try Guide(directory: dir, statePath: state)
    let resumed = again.execute("lesson").lines
    #expect(resumed.contains("Exercise: Which parameter is H×H?"))
    #expect(resumed[1].hasPrefix("(resumed: the lesson's own commands up to here ran again"))
    // The lesson's commands were replayed: the cursor is past a[1] again, and commands still
    // run during an exercise.
    #expect(again.execute("print a[1]").lines.first?.hasPrefix("a[1] = [") == true)
    #expect(again.execute("whh").lines.first == "right.")
    #expect(again.execute("lessons").lines.first!.hasSuffix("done"))
    // With every lesson done, lesson alone says so rather than starting one over.
    #expect(again.execute("lesson").lines == ["every lesson is done: lesson N goes through lesson N again"])
    #expect(again.execute("lesson 1").lines.first!.hasPrefix("Lesson 1: Tiny"))
  }

  @Test("answers are judged by value and by the names they use, not as exact word sets")
  func answers() {
    #expect(Guide.namesMatch("Whh @ h[t-1]", expected: ["Whh"]))
    #expect(Guide.namesMatch("Wxh, Whh, Why and bh.", expected: ["Wxh", "Whh", "Why", "bh"]))
    #expect(Guide.namesMatch("whh", expected: ["Whh"]))
    #expect(Guide.namesMatch("dWhh_t[4]", expected: ["dWhh"]) && !Guide.namesMatch("dWxh_t", expected: ["dWhh"]))
    #expect(!Guide.namesMatch("Whh and Wxh", expected: ["Whh"]))
    #expect(!Guide.namesMatch("Wxh Whh Why", expected: ["Wxh", "Whh", "Why", "bh"]))
    #expect(Guide.namesMatch("down.", expected: ["down"]))
    // Naming every equation is no answer to which one.
    #expect(!Guide.namesMatch("dy dh dh_raw dh_next", expected: ["dh_next"]))
    // The question's choices compete, "not" takes a word back, and a verb for the direction names it.
    let question = "Which way does SGD move a parameter whose gradient is positive: up or down?"
    #expect(!Guide.namesMatch("not down, up", expected: ["down"], question: question))
    #expect(Guide.namesMatch("not up, down", expected: ["down"], question: question))
    #expect(Guide.namesMatch("it decreases", expected: ["down"], question: question))
    #expect(!Guide.namesMatch("up and down", expected: ["down"], question: question))
    #expect(
      Guide.wordsFeedback("dh_next uses Whh", expected: ["dh_next"], question: "Which equation?", isNumber: false)
        == "not quite: name only what is asked (yours also names Whh); try again, hint or solution")
    #expect(
      Guide.wordsFeedback("3", expected: ["down"], question: question, isNumber: true)
        == "not quite: this one asks for a name or a word, not a number (try again, hint or solution)")
  }

  @Test("an equation answer is right when it gives the same values over the pass, however it is written")
  func equationAnswers() throws {
    let i = Interpreter()
    #expect(try i.equationAgrees("dh_raw", "(1 - h[t]**2) * dh", reference: "(1 - h*h) * dh"))
    #expect(try i.equationAgrees("dWhh", "dh_raw @ h[t - 1].T", reference: "dh_raw @ h[t-1].T"))
    #expect(try !i.equationAgrees("dh_raw", "(1 - a*a) * dh", reference: "(1 - h*h) * dh"))
    #expect(try !i.equationAgrees("dWhh", "dh_raw @ h[t].T", reference: "dh_raw @ h[t-1].T"))
    #expect(throws: (any Error).self) { try i.equationAgrees("dh_raw", "dh @ h", reference: "(1 - h*h) * dh") }
    // Where it first goes wrong, in BPTT's order: dh without dh_next is right at t = T (nothing
    // comes back from beyond the last step, dh_next[T] = 0) and wrong from T − 1 on.
    #expect(try i.firstDisagreement("dh", "Why.T @ dy", reference: "Why.T @ dy + dh_next") == 3)
    #expect(try i.firstDisagreement("dWhh", "dh_raw @ h[t].T", reference: "dh_raw @ h[t-1].T") == 4)
    #expect(try i.firstDisagreement("dh_raw", "(1 - h*h) * dh", reference: "(1 - h*h) * dh") == nil)
    #expect(i.session.variant == .correct)  // checking an answer changes nothing
  }

  @Test("`let NAME = …` typed as the answer is judged first: a wrong one is not installed, a right one is")
  func letAsAnswer() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let text = """
      # Equations

      ## Exercises

      ```exercise
      question: Write what step t adds to dWhh.
      answer-equation: dWhh = dh_raw @ h[t-1].T
      hint: an outer product
      solution: let dWhh = dh_raw @ h[t-1].T
      ```

      ```exercise
      question: Write dh_raw.
      answer-equation: dh_raw = (1 - h*h) * dh
      hint: tanh's slope
      solution: let dh_raw = (1 - h*h) * dh
      ```
      """
    try text.write(toFile: dir + "/01-equations.md", atomically: true, encoding: .utf8)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: dir, statePath: dir + "/state.json")
    i.execute("lesson 1")
    for _ in 0..<20 where i.prompt != "(answer) " { i.execute("") }
    #expect(i.prompt == "(answer) ")
    let wrong = i.execute("let dWhh += dh_raw @ h[t].T").lines
    #expect(wrong.last?.hasSuffix("; yours was not installed") == true, "\(wrong)")
    #expect(i.session.variant == .correct && i.session.equations.isEmpty)
    // Written without let, an equation for another quantity is told it answers another question.
    #expect(
      i.execute("dy = p - target").lines == [
        "not quite: this one asks for dWhh, and yours gives dy (try again, hint or solution)"
      ])
    // A step counted from the end is a mistake in an equation, not h[T].
    #expect(i.execute("dh_raw @ h[t-5].T").lines.first?.contains("h[-1] does not exist") == true)
    // Another equation than the one asked about is a command as usual.
    #expect(i.execute("let dy = p - target").error == nil)
    #expect(i.session.equations == ["dy": "p - target"])
    let right = i.execute("let dWhh += dh_raw @ h[t-1].T").lines
    #expect(right.contains("right: dWhh = dh_raw @ h[t-1].T gives dWhh at every step."), "\(right)")
    #expect(i.session.equations == ["dy": "p - target", "dWhh": "dh_raw @ h[t-1].T"])
    // The solution runs its let as a command.
    #expect(i.prompt == "(answer) ")
    let done = i.execute("solution").lines
    #expect(i.session.equations["dh_raw"] == "(1 - h*h) * dh")
    // The last exercise ends the lesson; its session (with the equations) stays the learner's.
    #expect(done.last == "Lesson 1 is done; its session stays yours to explore. That was the last lesson.")
    #expect(i.execute("lesson stop").lines == ["no lesson is running"] && i.session.equations.count == 3)
    // dh is not a sum over steps: += is refused for it.
    #expect(
      Interpreter().execute("let dh += Why.T @ dy").error == "dh is not accumulated over the steps: write let dh = …")
  }

  @Test("a progress file that cannot be read is set aside and reported, never overwritten")
  func unreadableProgress() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try lesson.write(toFile: dir + "/01-tiny.md", atomically: true, encoding: .utf8)
    let state = dir + "/state.json"
    try "{not json".write(toFile: state, atomically: true, encoding: .utf8)
    let guide = try Guide(directory: dir, statePath: state)
    #expect(guide.warning?.contains("set aside as \(state).unreadable") == true)
    #expect(try String(contentsOfFile: state + ".unreadable", encoding: .utf8) == "{not json")
    #expect(!FileManager.default.fileExists(atPath: state))
  }
}
