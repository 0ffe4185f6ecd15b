#include "worker/source_opener.h"

#include "common/file_byte_source.h"
#include "common/object_key.h"
#include "worker/http_byte_source.h"

namespace upfleet {

Result<std::unique_ptr<ByteSource>> DefaultSourceOpener::open(const ClaimCheck& source) {
  const std::string& uri = source.uri;
  if (uri.starts_with("http://") || uri.starts_with("https://")) {
    return std::unique_ptr<ByteSource>(
        std::make_unique<HttpByteSource>(transport_, uri, source.size, spool_token_));
  }
  if (uri.starts_with("file://")) {
    auto path = percent_decode(std::string_view(uri).substr(std::string_view("file://").size()));
    if (!path) return fail(path.error());
    auto file = FileByteSource::open(*path);
    if (!file) return fail(file.error());
    if ((*file)->size() != source.size) {
      return fail(Error::permanent(ErrorCode::kIntegrity,
                                   uri + ": file has " + std::to_string((*file)->size()) +
                                       " bytes, the job says " + std::to_string(source.size)));
    }
    return std::unique_ptr<ByteSource>(std::move(*file));
  }
  return fail(
      Error::invalid("source.uri '" + uri + "': unsupported scheme (use http, https or file)"));
}

}  // namespace upfleet
