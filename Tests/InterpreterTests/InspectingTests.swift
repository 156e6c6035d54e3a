import Foundation
import RNNCore
import Stepper
import Testing

@testable import Interpreter

@Suite("Inspecting values")
struct InspectingTests {
  @Test("the BPTT identities hold in print: dh_raw = (1 − h²) ⊙ dh, Σp = 1, loss = Σ loss[t]")
  func identities() {
    let setup = ["last"]
    #expect(
      run("print (1 - h[3]*h[3]) * dh[3] - dh_raw[3]", after: setup).lines == [
        "(1 - h[3]*h[3]) * dh[3] - dh_raw[3] = [0, 0, 0]  (3×1)"
      ])
    // Rounding only: p sums to 1 within a few ulp; the engine sums in another order than @ does.
    #expect(abs(run("print sum(p[2])", after: setup).number! - 1) <= 4 * Double.ulpOfOne)
    #expect(abs(run("print loss - (loss[1] + loss[2] + loss[3] + loss[4])", after: setup).number!) < 1e-14)
    #expect(run("print norm(dh_next[3] - Whh.T @ dh_raw[3])", after: setup).number! < 1e-15)
    #expect(run("print norm(dWhh - (dWhh_t[1] + dWhh_t[2] + dWhh_t[3] + dWhh_t[4]))", after: setup).number! < 1e-15)
  }

  @Test("print recomputes what the engine computed with the engine's own functions: exact zeros")
  func sameFunctions() {
    let i = Interpreter()
    let out = i.execute("step; step; print h[1] - tanh(a[1]); print tanh(a[1]) == h[1]")
    #expect(out.values == [Matrix(column: [0, 0, 0]), Matrix(column: [1, 1, 1])])
    i.execute("last")
    for t in 1...4 {
      #expect(i.execute("print softmax(y[\(t)]) - p[\(t)]").values == [Matrix(column: [0, 0, 0, 0])])
    }
  }

  @Test("values agree with NumPy's")
  func againstNumPy() {
    let b = Builtin.shared
    let setup = ["last"]
    for t in 1...4 {
      #expect(close(run("print h[\(t)]", after: setup).values[0].storage, b.hs[t]))
    }
    #expect(close(run("print dh_raw[2]", after: setup).values[0].storage, b.dh_raw[1]))
    #expect(close(run("print dWhh[0,1]", after: setup).number, b.dWhh[0][1]))
    #expect(close(run("print loss", after: setup).number, b.losses.reduce(0, +)))
  }

  @Test("elements, transpose, shapes, functions")
  func expressions() {
    #expect(run("print shape(Why.T @ dy[1])", after: ["last"]).lines == ["shape(Why.T @ dy[1]) = [3, 1]"])
    #expect(run("print shape(Wxh)").lines == ["shape(Wxh) = [3, 4]"])
    #expect(run("print h0").lines == ["h0 = [0, 0, 0]  (3×1)"])
    #expect(run("print 2 * 3 + 1").lines == ["2 * 3 + 1 = 7"])
    #expect(run("print -(1 - 3) / 4").lines == ["-(1 - 3) / 4 = 0.5"])
    #expect(run("print max(abs(h0 - 1))").lines == ["max(abs(h0 - 1)) = 1"])
    #expect(run("print T").lines == ["T = 4"])
    #expect(run("print t", after: ["goto backward t=2"]).lines == ["t = 2"])
    #expect(run("print h[2][1] == h[2][1]", after: ["last"]).lines == ["h[2][1] == h[2][1] = 1"])
    // NumPy's slices of one row or column: Wxh[:, 0] is what a one-hot x[1] picks.
    #expect(
      run("print a[1] - (Wxh[:, 0] + Whh @ h0 + bh)", after: ["step"]).lines == [
        "a[1] - (Wxh[:, 0] + Whh @ h0 + bh) = [0, 0, 0]  (3×1)"
      ])
    #expect(run("print shape(Whh[1, :])").lines == ["shape(Whh[1, :]) = [1, 3]"])
    #expect(run("print Whh[:, :]").error?.hasPrefix("':' selects a row or a column of a matrix") == true)
    #expect(run("print Wxh[:, 9]").error == "column index 9 is outside 0 to 3 (shape 3×4) (column 10)")
  }

  @Test("a value before the cursor reaches it: an error that says where it is computed")
  func notYet() {
    let out = run("print y[2]", after: ["step"])
    #expect(
      out.error
        == "y[2] is not computed yet: it is computed at forward t=2 y, the cursor is at forward t=1 a")
    // Zeros until backward adds to it, and a note that says so.
    let early = run("print dWhh", after: ["step"])
    #expect(early.values == [Matrix(rows: 3, cols: 3)])
    #expect(early.lines.last!.hasPrefix("dWhh is the running total BPTT holds at the cursor"))
    #expect(!run("print dWhh", after: ["last"]).lines.last!.hasPrefix("dWhh is the running total"))
  }

  @Test("malformed and impossible expressions name the problem and the column")
  func badExpressions() {
    #expect(run("print (1 - h[3]").error == "expected ')' but found end of expression (column 16)")
    #expect(run("print Whh[0,5]").error == "column index 5 is outside 0 to 2 (shape 3×3) (column 10)")
    #expect(
      run("print Whh @ Wxh.T").error?.hasPrefix("cannot multiply 3×3 and 4×3: inner sizes 3 and 4 differ") == true)
    #expect(
      run("print Whh * Wxh").error
        == "cannot multiply elementwise 3×3 and 3×4: shapes differ (for a matrix product use @) (column 11)")
    #expect(run("print hh[1]").error == "unknown name 'hh'; did you mean 'h'? (column 7)")
    #expect(run("print nrom(h0)").error?.hasPrefix("unknown function 'nrom'; did you mean 'norm'?") == true)
    #expect(run("print h[9]", after: ["last"]).error == "h[9] does not exist: t runs from 0 to 4 (column 7)")
    #expect(run("print h0 $ 1").error == "unexpected character '$' (column 10)")
    #expect(run("print").error == "usage: print EXPRESSION")
  }

  @Test("explain substitutes the numbers of the recorded pass")
  func explain() {
    // The numbers are covered by the snapshots (RendererSnapshotTests); here, the structure.
    let h = run("explain h[1][0]", after: ["last"]).lines
    #expect(h.count == 1)
    #expect(h[0].hasPrefix("h[1][0] = tanh(a[1][0]) = tanh("))
    let a = run("explain a[2][1]", after: ["last"]).lines
    #expect(a[0].hasPrefix("a[2][1] = Wxh[1,:]·x[2] + Whh[1,:]·h[1] + bh[1]     (x[2] is one-hot at 'e'"))
    let g = run("explain dWhh[0,1]", after: ["last"]).lines
    #expect(g[0] == "dWhh[0,1] = Σ_t dh_raw[t][0]·h[t-1][1]   (BPTT adds one term per step, from t=4 down to t=1)")
    #expect(g.count == 6)  // four terms and the total
    #expect(run("explain dWhh[0,1]", after: ["goto backward t=3 dWhh"]).lines.last!.contains("(steps 4…3 so far)"))
    #expect(
      run("explain h[1]").error?.contains("explain takes one element") == true
        || run("explain h[1]", after: ["last"]).error?.contains("one element") == true)
    #expect(run("explain p[1][2]", after: ["last"]).lines[0].hasPrefix("p[1][2] = exp(y[1][2]) / Σ_k exp(y[1][k])"))
    #expect(run("explain loss[1]", after: ["last"]).lines[0] == "loss[1] = -log p[1][1]   (the target at t=1 is 'e')")
  }

  @Test("info model, data, step, breakpoints, display")
  func info() {
    let model = run("info model").lines
    #expect(model[0] == "vanilla RNN: input size 4, hidden size H = 3, output size 4; loss softmax; bptt correct")
    #expect(model[1] == "vocabulary (4): 0='h' 1='e' 2='l' 3='o'")
    #expect(
      model.suffix(3) == [
        "  40 parameters", "train: optimizer adagrad, learning rate 0.1, clip each element to ±5, seqlen 25",
        "gradcheck: ε 1e-05, tolerance 1e-06, exact off",
      ])
    #expect(run("info").lines == model)
    #expect(
      run("info data").lines == [
        "4 input steps; loss softmax", "  t=1  x: 'h' (0)  target: 'e' (1)", "  t=2  x: 'e' (1)  target: 'l' (2)",
        "  t=3  x: 'l' (2)  target: 'l' (2)", "  t=4  x: 'l' (2)  target: 'o' (3)",
      ])
    #expect(
      run("info step", after: ["step"]).lines[0]
        == "at forward t=1 a of a pass over 4 steps (bptt correct, loss softmax)")
    #expect(run("info nothing").error == "usage: info model|data|step|breakpoints|watches|display")
    #expect(run("info model data").error == "usage: info model|data|step|breakpoints|watches|display")
  }

  @Test("set changes precision, check settings and single parameters, and records the pass again")
  func set() {
    #expect(run("set precision 2; print 1/3").lines == ["numbers now print with 2 significant digits", "1/3 = 0.33"])
    // A later set precision on the same line changes only what comes after it.
    #expect(
      run("print 1/3; set precision 2; print 1/3").lines == [
        "1/3 = 0.3333", "numbers now print with 2 significant digits", "1/3 = 0.33",
      ])
    // h0 alone shows it.
    #expect(run("h0").lines == ["h0 = [0, 0, 0]"])
    let (i, out) = session("set Whh[0,1] 0.5", "print Whh[0,1]", "set bh[2] -1", "set h0[1] 0.25", "print h0")
    #expect(out[0].lines[0].hasSuffix("→ 0.5"))
    #expect(out[0].lines[1].hasPrefix("(recorded the pass again after set: loss "))
    #expect(out[1].lines == ["Whh[0,1] = 0.5"])
    #expect(i.session.model.parameters.bh.storage[2] == -1)
    #expect(out[4].lines == ["h0 = [0, 0.25, 0]  (3×1)"])
    #expect(run("set Whh[3,0] 1").error == "Whh[3,0] is outside Whh, which is 3×3")
    #expect(run("set Whh[0,0] nan").error == "'nan' is not a finite number")
    #expect(run("set precision 40").error == "precision must be a whole number from 1 to 17")
    #expect(run("set eps 1e-6").lines == ["gradient checks now use ε = 1e-6"])
  }

  @Test("powers, slices and negative indices as NumPy writes them; dh_next alone is the one BPTT holds")
  func numpyForms() {
    let i = Interpreter()
    i.execute("last")
    let h4 = i.execute("print h[4]").values[0]
    #expect(i.execute("print h[4]^2").values == [h4.map { $0 * $0 }])
    #expect(i.execute("print h[4]**2 - h[4]^2").values == [Matrix(column: [0, 0, 0])])
    #expect(i.execute("print -h[4]**2").values == [h4.map { -($0 * $0) }])
    // As the lessons print formulas: − for minus, ² for a square, × for a product.
    #expect(i.execute("print 1 − h[4]² − (1 - h[4]**2)").values == [Matrix(column: [0, 0, 0])])
    #expect(i.execute("print 2 × 3 − 1e−1").number == 5.9)
    #expect(i.execute("print 2^3^2").number == 512)  // right to left, as Python's **
    #expect(i.execute("print h[-1]").values == [h4])
    #expect(i.execute("print h[4][-1]").number == h4.storage[2])
    #expect(i.execute("print h[4][0:2]").values == [Matrix(column: Array(h4.storage[0..<2]))])
    #expect(i.execute("print h[4][1:]").values == [Matrix(column: Array(h4.storage[1...]))])
    let whh = i.session.model.parameters.whh
    #expect(i.execute("print Whh[0:2, 1]").values == [Matrix(column: [whh[0, 1], whh[1, 1]])])
    #expect(i.execute("print Whh[1, -1]").number == whh[1, 2])
    #expect(i.execute("print h[4][2:1]").error?.hasPrefix("the slice selects nothing") == true)
    // At backward t=3 dh, the stop shows the dh_next step 4 passed down; print says the same.
    let j = Interpreter()
    j.execute("until backward t=3 dh")
    #expect(j.execute("print dh_next - dh_next[4]").values == [Matrix(column: [0, 0, 0])])
    j.execute("until backward t=3 dh_next")
    #expect(j.execute("print dh_next - dh_next[3]").values == [Matrix(column: [0, 0, 0])])
    #expect(Interpreter().execute("until backward t=4 dy; print dh_next").values == [Matrix(column: [0, 0, 0])])
    #expect(run("p h[2]").error == "unknown command 'p'; did you mean 'print' or 'plot'? (type help for the list)")
  }

  @Test("did you mean: the nearest name within a third of the word's edits, a swap counting one")
  func typos() {
    let names = ["print", "plot", "gradcheck", "h", "h0", "dh", "dh_raw"]
    #expect(closest("pritn", among: names) == "print")  // one swap
    #expect(closest("gradchek", among: names) == "gradcheck")  // one deletion
    #expect(closest("dh_rwa", among: names) == "dh_raw")
    #expect(closest("hh", among: names) == "h")  // first of the nearest: h and h0 and dh are one edit
    #expect(closest("x", among: names) == nil)  // a single character: only itself
    #expect(closest("plotting", among: names) == nil)  // four edits from plot: more than 8 / 3
    #expect(closest("", among: names) == nil)
    #expect(closest(String(repeating: "print", count: 9), among: names) == nil)
  }

  @Test("gradient flow: Σ_t ∂L_t/∂h_k is dh[k]; one step back is Whh.T (1 − h²); the Jacobian; singular values")
  func gradientFlow() throws {
    let i = Interpreter()
    i.execute("new 5 seed 3 scale 0.8; text hellohello; last")
    let steps = 9
    for k in 1...steps {
      // dh[k] gathers what every later loss term says about h[k]: BPTT's sum, term by term.
      let sum = (k...steps).map { "dL_dh(\($0), \(k))" }.joined(separator: " + ")
      #expect(i.execute("print norm(\(sum) - dh[\(k)]) / norm(dh[\(k)])").number! < 1e-14, "k = \(k)")
    }
    #expect(i.execute("print norm(dL_dh(7, 4) - Whh.T @ ((1 - h[5]**2) * dL_dh(7, 5)))").number! < 1e-15)
    #expect(i.execute("print norm(dL_dh(6, 6) - Why.T @ dy[6])").number! < 1e-15)
    let one = i.execute("print jacobian(6, 5)").values[0]
    let whh = i.session.model.parameters.whh
    let h6 = i.execute("print h[6]").values[0].storage
    for r in 0..<5 { for c in 0..<5 { #expect(abs(one[r, c] - (1 - h6[r] * h6[r]) * whh[r, c]) < 1e-15) } }
    #expect(i.execute("print jacobian(6, 3) - jacobian(6, 5) @ jacobian(5, 3)").values[0].maxAbs < 1e-15)
    #expect(i.execute("print dL_dh(3, 5)").error?.contains("must be between 0 (h0) and t = 3") == true)
    // The same triangle as a picture: one cell for each k ≤ t.
    let svg = FileManager.default.temporaryDirectory.appendingPathComponent("flow-\(getpid()).svg").path
    defer { try? FileManager.default.removeItem(atPath: svg) }
    #expect(i.execute("plot flow --svg \(svg)").lines.last == "wrote \(svg)")
    let picture = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(picture.components(separatedBy: "<rect x=").count - 1 == steps * (steps + 1) / 2)
    #expect(picture.hasSuffix("</svg>\n"))
    // Its rows carry one vector back a step at a time: dL_dh's own values, bit for bit.
    i.execute("last")
    let snapshot = i.snapshot!
    let triangle = try GradientFlow(snapshot: snapshot).triangle()
    for t in 1...steps {
      for k in 1...steps {
        let expected = k <= t ? log10(try GradientFlow(snapshot: snapshot).lossGradient(t, k).norm) : Double.nan
        #expect(triangle[t - 1, k - 1].bitPattern == expected.bitPattern, "t = \(t), k = \(k)")
      }
    }
    #expect(
      run(
        "plot flow",
        after: ["inputs" + String(repeating: " 0", count: 201), "targets" + String(repeating: " 1", count: 201)]
      ).error
        == "plot flow draws up to 200 steps, and the pass has 201: seqlen 200 or less")
    #expect(
      i.execute("first; plot flow").error
        == "plot flow needs the forward pass computed: loss[1] is not computed yet: it is computed at forward t=1 loss, "
        + "the cursor is before the first step (last or run first)")
    // A rotation times diag(5, 2) times another rotation has singular values 5 and 2.
    let (c1, s1, c2, s2) = (cos(0.3), sin(0.3), cos(1.1), sin(1.1))
    let d = Matrix(rows: 2, cols: 2, [5, 0, 0, 2])
    let m = try Matrix(rows: 2, cols: 2, [c1, -s1, s1, c1]).matmul(d).matmul(
      Matrix(rows: 2, cols: 2, [c2, -s2, s2, c2]))
    let values = singularValues(m)
    #expect(abs(values[0] - 5) < 1e-13 && abs(values[1] - 2) < 1e-13)
    #expect(
      singularValues(Matrix(rows: 3, cols: 3, [0, 0, 3, 0, -2, 0, 1, 0, 0])).map { ($0 * 1e12).rounded() / 1e12 } == [
        3, 2, 1,
      ])
    // Small values stay accurate: [[1, 1], [0, δ]] has σ₁σ₂ = |det| = δ and σ₁² + σ₂² = 2 + δ²,
    // so σ₁² = (2 + δ² + √(4 + δ⁴)) / 2 and σ₂ = δ/σ₁. (Through mᵀm, 1 + δ² rounds to 1 and σ₂ to 0.)
    for delta in [1e-6, 1e-10, 1e-14] {
      let v = singularValues(Matrix(rows: 2, cols: 2, [1, 1, 0, delta]))
      let first = ((2 + delta * delta + (4 + delta * delta * delta * delta).squareRoot()) / 2).squareRoot()
      #expect(abs(v[0] - first) <= 1e-15 && abs(v[1] - delta / first) <= 1e-14 * delta, "\(v)")
    }
    // Tall and wide: a 3×2 and its transpose have the same values; the wide one has a third, 0.
    let tall = Matrix(rows: 3, cols: 2, [1, 1, 0, 1e-9, 0, 0])
    let expected = [Double(2).squareRoot(), 1e-9 / Double(2).squareRoot()]
    #expect(zip(singularValues(tall), expected).allSatisfy { abs($0 - $1) <= 1e-14 * $1 })
    let wide = singularValues(tall.transposed())
    #expect(wide.count == 3 && wide[2] == 0 && zip(wide, expected).allSatisfy { abs($0 - $1) <= 1e-14 * $1 })
  }
}
