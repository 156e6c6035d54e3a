// rnnstep: the program. It stays thin: flags and wiring; the work is in the libraries.
import RNNCore

let version = "0.1.0"
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--version") {
  print("rnnstep \(version)")
} else {
  print("rnnstep \(version): step through an RNN's forward pass and BPTT (usage: rnnstep [--version])")
}
