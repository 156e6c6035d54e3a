// zlib for Swift: inflateInit2 is a macro, which Swift cannot call; these wrappers inflate a
// raw deflate stream (a .npz member written by np.savez_compressed) in one call.
#ifndef RNNSTEP_CZLIB_SHIM_H
#define RNNSTEP_CZLIB_SHIM_H

#include <string.h>
#include <zlib.h>

/// Inflates raw deflate data (no zlib header) into `output`. Returns the number of bytes
/// written, -1 for corrupt data, -2 when the output would exceed `capacity`.
static inline long rnnstep_inflate_raw(const unsigned char *input, unsigned long length, unsigned char *output,
                                       unsigned long capacity) {
  z_stream stream;
  memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, -15) != Z_OK) return -1;
  stream.next_in = (unsigned char *)input;
  stream.avail_in = (uInt)length;
  stream.next_out = output;
  stream.avail_out = (uInt)capacity;
  int status = inflate(&stream, Z_FINISH);
  long written = (long)stream.total_out;
  int moreOutput = status == Z_BUF_ERROR && stream.avail_out == 0;
  inflateEnd(&stream);
  if (status == Z_STREAM_END) return written;
  return moreOutput ? -2 : -1;
}

static inline unsigned long rnnstep_crc32(const unsigned char *data, unsigned long length) {
  return crc32(0L, data, (uInt)length);
}

#endif
