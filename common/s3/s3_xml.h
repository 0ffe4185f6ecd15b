// Just enough XML for S3's small response documents (errors, InitiateMultipartUpload,
// ListParts, ListMultipartUploads, CompleteMultipartUpload) and the one request document we
// send. S3 documents are flat and namespace-free at the elements we read, so a forgiving
// scanner beats pulling in an XML library. Never crashes or throws on malformed input: it
// just finds nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upfleet::s3::xml {

// Decoded text of the first <name>...</name> (or empty for <name/>) in `xml`; nullopt when
// there is none. Attributes on the tag are allowed and ignored.
std::optional<std::string> child_text(std::string_view xml, std::string_view name);

// The raw inner XML of every <name> element, in document order. Elements of the same name
// must not nest (true for Part, Upload, CommonPrefixes).
std::vector<std::string_view> elements(std::string_view xml, std::string_view name);

// Resolves &amp; &lt; &gt; &quot; &apos; and numeric references (&#38; &#x26;) and unwraps
// CDATA sections; unknown or malformed references are kept as written.
std::string decode_text(std::string_view text);

// Escapes & < > " ' for element text.
std::string escape(std::string_view text);

}  // namespace upfleet::s3::xml
