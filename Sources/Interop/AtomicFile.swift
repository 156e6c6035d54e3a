import Foundation

/// Writes files so that a crash or a full disk never leaves a half-written one: the bytes go to
/// a temporary file beside the target, which is flushed and then renamed over it.
public enum AtomicFile {
  /// Writes `data` to `path`, replacing any existing file only once the new one is complete.
  /// - Throws: ``FileError`` naming the file and what failed.
  public static func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw FileError(path: path, problem: "the folder \(directory) does not exist")
    }
    removeLeftovers(of: url.lastPathComponent, in: directory)
    let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw FileError(path: path, problem: "cannot create a file there (\(describe(errno)))") }
    var failure: String?
    data.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = "writing failed (\(describe(errno)))"
          return
        }
        offset += written
      }
    }
    if failure == nil && fsync(fd) != 0 { failure = "writing failed (\(describe(errno)))" }
    close(fd)
    if failure == nil && rename(temporary, path) != 0 { failure = "cannot replace it (\(describe(errno)))" }
    if let failure {
      unlink(temporary)
      throw FileError(path: path, problem: failure + "; nothing was changed")
    }
  }

  private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// Temporary files of earlier writes to the same file whose process is gone (killed while it
  /// wrote): removed, so that an interrupted save leaves nothing behind for long.
  static func removeLeftovers(of name: String, in directory: String) {
    let prefix = "." + name + ".tmp-"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for entry in entries where entry.hasPrefix(prefix) {
      guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
      // kill(pid, 0) fails with ESRCH once no such process exists.
      if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + entry) }
    }
  }
}

/// A file that cannot be read or written, with the file's name and what is wrong, in one line.
public struct FileError: Error, Equatable, CustomStringConvertible {
  public let path: String
  public let problem: String

  public init(path: String, problem: String) {
    self.path = path
    self.problem = problem
  }

  public var description: String { "\(path): \(problem)" }
}
