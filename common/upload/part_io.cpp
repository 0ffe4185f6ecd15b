#include "common/upload/part_io.h"

#include <string>

namespace upfleet::upload {

Status read_exactly(ByteSource& source, uint64_t offset, std::span<std::byte> buf) {
  size_t filled = 0;
  while (filled < buf.size()) {
    auto got = source.read_at(offset + filled, buf.subspan(filled));
    if (!got) return fail(got.error());
    if (*got == 0) {
      return fail(Error::permanent(ErrorCode::kIntegrity, "source ended at byte " +
                                                              std::to_string(offset + filled) +
                                                              ", before the size the job gives"));
    }
    filled += *got;
  }
  return {};
}

}  // namespace upfleet::upload
