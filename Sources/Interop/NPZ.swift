import CZlib
import Foundation

/// `.npz` archives: a zip file of `.npy` members, written by `np.savez` (stored) or
/// `np.savez_compressed` (deflate). Reading checks every size against the file and a limit
/// before inflating anything, so a zip bomb or a truncated file is refused, not trusted.
public enum NPZ {
  /// The most bytes all members together may inflate to (512 MiB).
  public static let maximumInflatedBytes = 512 << 20

  /// The arrays of an `.npz` file, by name without `.npy`.
  /// - Throws: ``FileError`` naming the file and the problem.
  public static func read(path: String) throws -> [String: NumPyArray] {
    let bytes = Array(try JSONModelFormat.readLimited(path, limit: maximumInflatedBytes))
    do {
      return try parse(bytes)
    } catch let error as NumPyError {
      throw FileError(path: path, problem: error.description)
    }
  }

  public static func parse(_ bytes: [UInt8]) throws -> [String: NumPyArray] {
    // Every offset and size read from the file is checked against the file before it is used, so
    // that no sum of them can overflow and no index can fall outside the bytes.
    func u16(_ at: Int) throws -> Int {
      guard at >= 0, at <= bytes.count - 2 else { throw NumPyError("truncated zip archive") }
      return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }
    func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
    func u64(_ at: Int) throws -> Int {
      let high = try u32(at + 4)
      guard high < 1 << 16 else { throw NumPyError("a zip64 size or offset past 2^48 bytes") }
      return try u32(at) | high << 32
    }
    /// An offset into the file, or a size of part of it.
    func within(_ value: Int, _ what: String) throws -> Int {
      guard value >= 0, value <= bytes.count else { throw NumPyError("\(what) points outside the file (truncated?)") }
      return value
    }
    // End of central directory: the last 0x06054b50 within 64 KiB of the end.
    var eocd = -1
    var i = bytes.count - 22
    while i >= 0 && i >= bytes.count - 22 - 65_535 {
      if bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 0x05 && bytes[i + 3] == 0x06 {
        eocd = i
        break
      }
      i -= 1
    }
    guard eocd >= 0 else { throw NumPyError("not an .npz file (no zip directory; truncated?)") }
    // (The search above starts at count − 22: a file shorter than that has no directory.)
    var entries = try u16(eocd + 10)
    var directory = try u32(eocd + 16)
    // Zip64: the locator just before points at the zip64 end record.
    if entries == 0xFFFF || directory == 0xFFFF_FFFF, eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 {
      let record = try u64(eocd - 12)
      guard try u32(record) == 0x0606_4B50 else { throw NumPyError("bad zip64 directory") }
      entries = try u64(record + 32)
      directory = try u64(record + 48)
    }
    guard entries >= 0, entries <= 10_000 else {
      throw NumPyError("\(entries) members is more than an .npz of a model holds")
    }
    directory = try within(directory, "the zip directory")
    var arrays: [String: NumPyArray] = [:]
    var inflatedTotal = 0
    var at = directory
    for _ in 0..<entries {
      guard try u32(at) == 0x0201_4B50 else { throw NumPyError("bad zip directory entry") }
      let method = try u16(at + 10)
      let crc = try u32(at + 16)
      var compressed = try u32(at + 20)
      var size = try u32(at + 24)
      let nameLength = try u16(at + 28)
      let extraLength = try u16(at + 30)
      let commentLength = try u16(at + 32)
      var local = try u32(at + 42)
      guard at + 46 + nameLength <= bytes.count else { throw NumPyError("truncated zip directory") }
      let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
      // Zip64 extra field (0x0001): the sizes and offset that did not fit in 32 bits, in order.
      var e = at + 46 + nameLength
      let extraEnd = e + extraLength
      while e + 4 <= extraEnd {
        let id = try u16(e)
        let length = try u16(e + 2)
        if id == 1 {
          var p = e + 4
          if size == 0xFFFF_FFFF {
            size = try u64(p)
            p += 8
          }
          if compressed == 0xFFFF_FFFF {
            compressed = try u64(p)
            p += 8
          }
          if local == 0xFFFF_FFFF { local = try u64(p) }
        }
        e += 4 + length
      }
      at = try within(extraEnd + commentLength, "\(name): the zip directory")
      local = try within(local, "\(name): its local header")
      compressed = try within(compressed, "\(name): its compressed size")
      guard size >= 0, size <= maximumInflatedBytes else {
        throw NumPyError("\(name): inflates to more than \(maximumInflatedBytes >> 20) MiB (a zip bomb?)")
      }
      guard try u32(local) == 0x0403_4B50 else { throw NumPyError("\(name): bad local header") }
      let dataStart = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
      guard dataStart >= 0, compressed >= 0, dataStart + compressed <= bytes.count else {
        throw NumPyError("\(name): the archive is truncated")
      }
      inflatedTotal += size
      guard size >= 0, inflatedTotal <= maximumInflatedBytes else {
        throw NumPyError("\(name): inflates to more than \(maximumInflatedBytes >> 20) MiB (a zip bomb?)")
      }
      let member: [UInt8]
      switch method {
      case 0:
        guard compressed == size else { throw NumPyError("\(name): stored sizes differ") }
        member = Array(bytes[dataStart..<dataStart + compressed])
      case 8:
        var output = [UInt8](repeating: 0, count: max(size, 1))
        let written = bytes[dataStart..<dataStart + compressed].withUnsafeBufferPointer { input in
          output.withUnsafeMutableBufferPointer { out in
            rnnstep_inflate_raw(input.baseAddress, UInt(input.count), out.baseAddress, UInt(size))
          }
        }
        guard written == size else {
          throw NumPyError(
            written == -2
              ? "\(name): inflates to more than its declared size (a zip bomb?)" : "\(name): corrupt compressed data")
        }
        member = Array(output.prefix(size))
      default:
        throw NumPyError("\(name): compression method \(method) is not one rnnstep reads (stored, deflate)")
      }
      // The CRC-32 the archive stores: a flipped bit is refused, not read as a number.
      let actual = Int(member.withUnsafeBufferPointer { rnnstep_crc32($0.baseAddress, UInt($0.count)) })
      guard actual == crc else { throw NumPyError("\(name): its CRC-32 does not match (the file is corrupt)") }
      guard name.hasSuffix(".npy") else { continue }
      do {
        arrays[String(name.dropLast(4))] = try NumPyArray.parse(npy: member)
      } catch let error as NumPyError {
        throw NumPyError("\(name): \(error.description)")
      }
    }
    return arrays
  }

  /// Writes arrays as an `.npz` (stored members, which `np.load` reads), atomically.
  public static func write(_ arrays: [(name: String, array: NumPyArray)], to path: String) throws {
    try AtomicFile.write(archive(arrays), to: path)
  }

  static func archive(_ arrays: [(name: String, array: NumPyArray)]) -> Data {
    var data = Data()
    var directory = Data()
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }
    for (name, array) in arrays {
      let member = Array(array.npyData())
      let fileName = Array((name + ".npy").utf8)
      let crc = Int(member.withUnsafeBufferPointer { rnnstep_crc32($0.baseAddress, UInt($0.count)) })
      let offset = data.count
      // Local header: version 20, no flags, stored, no time, CRC, sizes, name.
      data.append(contentsOf: le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21))
      data.append(contentsOf: le32(crc) + le32(member.count) + le32(member.count) + le16(fileName.count) + le16(0))
      data.append(contentsOf: fileName)
      data.append(contentsOf: member)
      directory.append(contentsOf: le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21))
      directory.append(contentsOf: le32(crc) + le32(member.count) + le32(member.count) + le16(fileName.count))
      directory.append(contentsOf: le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset))
      directory.append(contentsOf: fileName)
    }
    let directoryOffset = data.count
    data.append(directory)
    data.append(contentsOf: le32(0x0605_4B50) + le16(0) + le16(0) + le16(arrays.count) + le16(arrays.count))
    data.append(contentsOf: le32(directory.count) + le32(directoryOffset) + le16(0))
    return data
  }
}
