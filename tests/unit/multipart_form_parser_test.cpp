// MultipartFormParser against hostile and awkward bodies: every split of the input, boundary
// look-alikes inside data, missing closing boundaries, oversized headers, bad filenames.
#include "producer/multipart_form_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace upfleet {
namespace {

constexpr std::string_view kBoundary = "XyZ-boundary";

// Records events as text, merging consecutive data slices, so transcripts of the same body
// fed in different chunks compare equal.
class Recorder final : public MultipartFormHandler {
 public:
  Status on_part_begin(const FormPart& part) override {
    std::string line = "begin name=" + part.name;
    if (part.filename) line += " filename=" + *part.filename;
    if (!part.content_type.empty()) line += " type=" + part.content_type;
    events.push_back(line);
    parts.push_back(part);
    data_open = false;
    return fail_at == "begin" ? fail(Error::invalid("handler says no")) : Status{};
  }
  Status on_part_data(std::string_view bytes) override {
    EXPECT_FALSE(bytes.empty());
    data_bytes += bytes.size();
    if (!data_open) events.emplace_back("data:");
    data_open = true;
    events.back().append(bytes);
    return {};
  }
  Status on_part_end() override {
    events.emplace_back("end");
    data_open = false;
    return {};
  }
  Status on_form_end() override {
    events.emplace_back("form_end");
    return {};
  }

  std::vector<std::string> events;
  std::vector<FormPart> parts;
  size_t data_bytes = 0;
  std::string fail_at;

 private:
  bool data_open = false;
};

struct Outcome {
  std::vector<std::string> events;
  Status status;
};

// Feeds `body` in the given pieces, then finish(); stops at the first error.
Outcome parse_pieces(const std::vector<std::string_view>& pieces, MultipartLimits limits = {}) {
  Recorder recorder;
  MultipartFormParser parser(kBoundary, recorder, limits);
  Outcome outcome;
  for (const std::string_view piece : pieces) {
    outcome.status = parser.feed(piece);
    if (!outcome.status) break;
  }
  if (outcome.status) outcome.status = parser.finish();
  outcome.events = recorder.events;
  return outcome;
}

Outcome parse(std::string_view body, MultipartLimits limits = {}) {
  return parse_pieces({body}, limits);
}

std::string error_of(const Outcome& outcome) {
  return outcome.status ? std::string("<no error>") : outcome.status.error().message;
}

// A body with a preamble, a text field, a file whose data is full of boundary look-alikes, an
// empty file, transport padding and an epilogue.
const std::string kTrickyData =
    "line one\r\n--XyZ-boundar\r\n--XyZ-boundaryX\r\n--XyZ-boundary-x\r\n-\r\n--\r\r\n--XyZ"
    "--XyZ-boundary\r--XyZ-boundary\n\r\n\r\n--XyZ-bou";
const std::string kTrickyBody =
    "preamble --XyZ-boundary not at line start\r\n"
    "--XyZ-boundary\r\n"
    "Content-Disposition: form-data; name=\"prefix\"\r\n"
    "\r\n"
    "photos/\r\n"
    "--XyZ-boundary \t \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "X-Checksum-Sha256: abc\r\n"
    "\r\n" +
    kTrickyData +
    "\r\n"
    "--XyZ-boundary\r\n"
    "content-disposition: FORM-DATA; filename=empty.txt; name=f2\r\n"
    "\r\n"
    "\r\n"
    "--XyZ-boundary--epilogue\r\n--XyZ-boundary\r\nignored";

const std::vector<std::string> kTrickyEvents = {
    "begin name=prefix",
    "data:photos/",
    "end",
    "begin name=file filename=a.bin type=application/octet-stream",
    "data:" + kTrickyData,
    "end",
    "begin name=f2 filename=empty.txt",
    "end",
    "form_end",
};

TEST(MultipartFormParserTest, ParsesFieldsFilesPreambleAndEpilogue) {
  const Outcome outcome = parse(kTrickyBody);
  ASSERT_TRUE(outcome.status) << error_of(outcome);
  EXPECT_EQ(outcome.events, kTrickyEvents);
}

TEST(MultipartFormParserTest, OneByteChunksGiveTheSameEvents) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < kTrickyBody.size(); ++i) {
    pieces.push_back(std::string_view(kTrickyBody).substr(i, 1));
  }
  const Outcome outcome = parse_pieces(pieces);
  ASSERT_TRUE(outcome.status) << error_of(outcome);
  EXPECT_EQ(outcome.events, kTrickyEvents);
}

TEST(MultipartFormParserTest, EveryTwoWaySplitGivesTheSameEvents) {
  const std::string_view body = kTrickyBody;
  for (size_t split = 0; split <= body.size(); ++split) {
    const Outcome outcome = parse_pieces({body.substr(0, split), body.substr(split)});
    ASSERT_TRUE(outcome.status) << "split at " << split << ": " << error_of(outcome);
    ASSERT_EQ(outcome.events, kTrickyEvents) << "split at " << split;
  }
}

TEST(MultipartFormParserTest, EveryThreeWaySplitAroundTheDelimiterGivesTheSameEvents) {
  const std::string_view body = kTrickyBody;
  const size_t closing = body.find("\r\n--XyZ-boundary--");
  ASSERT_NE(closing, std::string_view::npos);
  for (size_t first = closing - 4; first < closing + 20; ++first) {
    for (size_t second = first; second < closing + 24; ++second) {
      const Outcome outcome = parse_pieces(
          {body.substr(0, first), body.substr(first, second - first), body.substr(second)});
      ASSERT_TRUE(outcome.status) << first << "/" << second << ": " << error_of(outcome);
      ASSERT_EQ(outcome.events, kTrickyEvents) << first << "/" << second;
    }
  }
}

TEST(MultipartFormParserTest, DataIsStreamedNotBufferedPerPart) {
  Recorder recorder;
  MultipartFormParser parser(kBoundary, recorder);
  ASSERT_TRUE(
      parser.feed("--XyZ-boundary\r\nContent-Disposition: form-data; name=f; "
                  "filename=big\r\n\r\n"));
  const std::string chunk(64 * 1024, 'a');
  for (int i = 1; i <= 16; ++i) {
    ASSERT_TRUE(parser.feed(chunk));
    // Only a possible delimiter prefix may be held back, never the part so far.
    EXPECT_EQ(recorder.data_bytes, chunk.size() * i);
  }
  ASSERT_TRUE(parser.feed("\r\n--XyZ-boundary--"));
  ASSERT_TRUE(parser.finish());
  EXPECT_EQ(recorder.data_bytes, chunk.size() * 16);
  EXPECT_TRUE(parser.complete());
}

std::string file_part(std::string_view disposition, std::string_view data) {
  return "--XyZ-boundary\r\nContent-Disposition: " + std::string(disposition) + "\r\n\r\n" +
         std::string(data) + "\r\n";
}

constexpr std::string_view kClose = "--XyZ-boundary--\r\n";

TEST(MultipartFormParserTest, MissingClosingBoundaryIsAnError) {
  const std::string part = file_part("form-data; name=f; filename=a", "abc");
  // Ends in the data, just after a delimiter, inside the closing "--", in the headers.
  for (const std::string& body :
       {part.substr(0, part.size() - 2), part + "--XyZ-boundary", part + "--XyZ-boundary-",
        part + "--XyZ-boundary\r\n", part + "--XyZ-boundary\r\nContent-Dis"}) {
    const Outcome outcome = parse(body);
    ASSERT_FALSE(outcome.status) << body;
    EXPECT_EQ(outcome.status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(error_of(outcome).find("ended") != std::string::npos) << error_of(outcome);
  }
  EXPECT_TRUE(parse(part + std::string(kClose)).status);
}

TEST(MultipartFormParserTest, BodyWithoutAnyBoundaryLineIsAnError) {
  for (std::string_view body : {"", "just text", "--other\r\n\r\n--other--"}) {
    const Outcome outcome = parse(body);
    ASSERT_FALSE(outcome.status);
    EXPECT_TRUE(error_of(outcome).find("no boundary line") != std::string::npos)
        << error_of(outcome);
    EXPECT_TRUE(outcome.events.empty());
  }
}

TEST(MultipartFormParserTest, LfOnlyLineEndingsAreRejected) {
  const std::string body =
      "--XyZ-boundary\nContent-Disposition: form-data; name=f\n\nvalue\n--XyZ-boundary--\n";
  const Outcome outcome = parse(body);
  ASSERT_FALSE(outcome.status);
  EXPECT_TRUE(error_of(outcome).find("CRLF") != std::string::npos) << error_of(outcome);
  // Also in a header block that started with a proper CRLF boundary line.
  const Outcome mixed = parse("--XyZ-boundary\r\nContent-Disposition: form-data; name=f\n\n");
  ASSERT_FALSE(mixed.status);
  EXPECT_TRUE(error_of(mixed).find("bare LF") != std::string::npos) << error_of(mixed);
}

TEST(MultipartFormParserTest, HugeHeadersAreRejectedWithoutBufferingThem) {
  const std::string huge = "--XyZ-boundary\r\nContent-Disposition: form-data; name=f\r\nX-Junk: " +
                           std::string(9000, 'j') + "\r\n\r\ndata\r\n" + std::string(kClose);
  const Outcome outcome = parse(huge);
  ASSERT_FALSE(outcome.status);
  EXPECT_TRUE(error_of(outcome).find("exceed 8192 bytes") != std::string::npos)
      << error_of(outcome);
  EXPECT_TRUE(outcome.events.empty());

  // A header block that never ends fails once it passes the limit, not at the end.
  Recorder recorder;
  MultipartFormParser parser(kBoundary, recorder);
  ASSERT_TRUE(parser.feed("--XyZ-boundary\r\nX-A: "));
  Status status;
  size_t fed = 0;
  while (status && fed < (1u << 20)) {
    status = parser.feed(std::string(1024, 'a'));
    fed += 1024;
  }
  ASSERT_FALSE(status);
  EXPECT_LE(fed, 9u * 1024);
}

TEST(MultipartFormParserTest, TooManyHeaderLinesAreRejected) {
  std::string body = "--XyZ-boundary\r\nContent-Disposition: form-data; name=f\r\n";
  for (int i = 0; i < 16; ++i) body += "X-H" + std::to_string(i) + ": v\r\n";
  body += "\r\n\r\n" + std::string(kClose);
  const Outcome outcome = parse(body);
  ASSERT_FALSE(outcome.status);
  EXPECT_TRUE(error_of(outcome).find("more than 16 headers") != std::string::npos)
      << error_of(outcome);
}

TEST(MultipartFormParserTest, TooManyPartsAreRejected) {
  MultipartLimits limits;
  limits.max_parts = 3;
  std::string body;
  for (int i = 0; i < 3; ++i) body += file_part("form-data; name=f" + std::to_string(i), "x");
  EXPECT_TRUE(parse(body + std::string(kClose), limits).status);
  body += file_part("form-data; name=f3", "x");
  const Outcome outcome = parse(body + std::string(kClose), limits);
  ASSERT_FALSE(outcome.status);
  EXPECT_TRUE(error_of(outcome).find("more than 3 parts") != std::string::npos)
      << error_of(outcome);
}

TEST(MultipartFormParserTest, CrLfAndNulInFilenamesAndNamesAreRejected) {
  const std::vector<std::string> dispositions = {
      "form-data; name=f; filename=\"a\rb\"",
      "form-data; name=f; filename=\"a\nb\"",
      "form-data; name=f; filename=\"a\r\nb\"",
      std::string("form-data; name=f; filename=\"a\0b\"", 33),
      std::string("form-data; name=\"f\0\"; filename=a", 32),
      "form-data; name=\"f\r\n\"; filename=a",
  };
  for (const std::string& disposition : dispositions) {
    const Outcome outcome = parse(file_part(disposition, "x") + std::string(kClose));
    ASSERT_FALSE(outcome.status) << disposition;
    EXPECT_EQ(outcome.status.error().code, ErrorCode::kInvalidArgument);
    const std::string message = error_of(outcome);
    EXPECT_TRUE(message.find("CR") != std::string::npos ||
                message.find("LF") != std::string::npos || message.find("NUL") != std::string::npos)
        << message;
    EXPECT_TRUE(outcome.events.empty()) << disposition;
  }
}

TEST(MultipartFormParserTest, MalformedContentDispositionIsRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"attachment; name=f", "form-data"},
      {"form-data; filename=a", "no name"},
      {"form-data; name=f; name=g", "more than one name"},
      {"form-data; name=f; filename*=UTF-8''a.txt", "filename*"},
      {"form-data; name=\"f", "unterminated"},
      {"form-data; name=", "empty value"},
      {"form-data; name", "no value"},
      {"form-data; =x", "no name"},
      {"form-data name=f", "form-data"},
  };
  for (const auto& [disposition, expected] : cases) {
    const Outcome outcome = parse(file_part(disposition, "x") + std::string(kClose));
    ASSERT_FALSE(outcome.status) << disposition;
    EXPECT_TRUE(error_of(outcome).find(expected) != std::string::npos)
        << disposition << " -> " << error_of(outcome);
  }
  const Outcome missing =
      parse("--XyZ-boundary\r\nContent-Type: text/plain\r\n\r\nx\r\n" + std::string(kClose));
  ASSERT_FALSE(missing.status);
  EXPECT_TRUE(error_of(missing).find("no Content-Disposition") != std::string::npos);
  const Outcome folded = parse(
      "--XyZ-boundary\r\nContent-Disposition: form-data; name=f\r\nX-A: b\r\n c\r\n\r\nx\r\n" +
      std::string(kClose));
  ASSERT_FALSE(folded.status);
  EXPECT_TRUE(error_of(folded).find("folded") != std::string::npos) << error_of(folded);
}

TEST(MultipartFormParserTest, QuotedFilenamesKeepBackslashesAndUnescapeQuotes) {
  const Outcome outcome =
      parse(file_part(R"(form-data; name="f"; filename="C:\dir\say \"hi\".txt"; size=3)", "x") +
            std::string(kClose));
  ASSERT_TRUE(outcome.status) << error_of(outcome);
  ASSERT_FALSE(outcome.events.empty());
  EXPECT_EQ(outcome.events[0], R"(begin name=f filename=C:\dir\say "hi".txt)");
}

TEST(MultipartFormParserTest, EmptyPartsAndAnEmptyFormAreParsed) {
  const Outcome outcome =
      parse(file_part("form-data; name=a", "") + file_part("form-data; name=b; filename=e", "") +
            std::string(kClose));
  ASSERT_TRUE(outcome.status) << error_of(outcome);
  EXPECT_EQ(outcome.events,
            (std::vector<std::string>{"begin name=a", "end", "begin name=b filename=e", "end",
                                      "form_end"}));
  // A closing boundary right away: no parts (the endpoint refuses that, the parser does not).
  const Outcome empty = parse(kClose);
  ASSERT_TRUE(empty.status) << error_of(empty);
  EXPECT_EQ(empty.events, std::vector<std::string>{"form_end"});
}

TEST(MultipartFormParserTest, BodyBoundaryLookAlikesStayData) {
  for (const std::string data :
       {"--XyZ-boundary", "\r\n--XyZ-boundar", "x\r\n--XyZ-boundaryy", "\r\n--XyZ-boundary-",
        "\r\n--XyZ-boundary-x", "\r\r\n\r\n--XyZ-boundar", "\r\n--xyz-boundary\r\n"}) {
    const Outcome outcome = parse(file_part("form-data; name=f", data) + std::string(kClose));
    ASSERT_TRUE(outcome.status) << error_of(outcome);
    ASSERT_EQ(outcome.events.size(), 4u);
    EXPECT_EQ(outcome.events[1], "data:" + data);
  }
}

TEST(MultipartFormParserTest, GarbageAfterABoundaryOnItsLineIsAnError) {
  const Outcome outcome = parse("--XyZ-boundary  x\r\n");
  ASSERT_FALSE(outcome.status);
  EXPECT_TRUE(error_of(outcome).find("after a boundary") != std::string::npos);
  const Outcome lone_cr = parse("--XyZ-boundary\rx");
  ASSERT_FALSE(lone_cr.status);
  EXPECT_TRUE(error_of(lone_cr).find("CR without LF") != std::string::npos);
}

TEST(MultipartFormParserTest, HandlerErrorsStopTheParser) {
  Recorder recorder;
  recorder.fail_at = "begin";
  MultipartFormParser parser(kBoundary, recorder);
  const std::string body = file_part("form-data; name=f", "x") + std::string(kClose);
  const Status status = parser.feed(body);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "handler says no");
  EXPECT_FALSE(parser.feed("more"));
  EXPECT_FALSE(parser.finish());
  EXPECT_EQ(recorder.events.size(), 1u);  // nothing after the refused part began
}

TEST(MultipartFormParserTest, HeadersAreExposedLowerCased) {
  const Outcome outcome = parse(
      "--XyZ-boundary\r\nContent-Disposition: form-data; name=f; filename=a\r\n"
      "X-Checksum-SHA256:  abc \r\nContent-Type: image/png\r\n\r\nx\r\n" +
      std::string(kClose));
  ASSERT_TRUE(outcome.status) << error_of(outcome);
  Recorder recorder;
  MultipartFormParser parser(kBoundary, recorder);
  ASSERT_TRUE(parser.feed(
      "--XyZ-boundary\r\nContent-Disposition: form-data; name=f; filename=a\r\n"
      "X-Checksum-SHA256:  abc \r\nContent-Type: image/png\r\n\r\nx\r\n--XyZ-boundary--"));
  ASSERT_EQ(recorder.parts.size(), 1u);
  EXPECT_EQ(recorder.parts[0].header("x-checksum-sha256"), "abc");
  EXPECT_EQ(recorder.parts[0].content_type, "image/png");
  EXPECT_EQ(recorder.parts[0].header("missing"), "");
}

TEST(MultipartBoundaryTest, ReadsQuotedAndUnquotedBoundaries) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc").value_or("?"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data;boundary=\"a b:c\"").value_or("?"), "a b:c");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=x-1; q=\"a;b\"")
                .value_or("?"),
            "x-1");
  EXPECT_EQ(
      multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')).value_or("?"),
      std::string(70, 'b'));
}

TEST(MultipartBoundaryTest, RejectsMissingEmptyLongAndOddBoundaries) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"multipart/form-data", "no boundary"},
      {"multipart/form-data; charset=utf-8", "no boundary"},
      {"multipart/form-data; boundary=\"\"", "1 to 70"},
      {"multipart/form-data; boundary=" + std::string(71, 'b'), "1 to 70"},
      {"multipart/form-data; boundary=\"ab \"", "RFC 2046"},
      {"multipart/form-data; boundary=\"a\rb\"", "RFC 2046"},
      {"multipart/form-data; boundary=a; boundary=b", "more than one"},
      {"multipart/form-data; boundary=\"abc", "unterminated"},
  };
  for (const auto& [content_type, expected] : cases) {
    const auto boundary = multipart_boundary(content_type);
    ASSERT_FALSE(boundary.has_value()) << content_type;
    EXPECT_EQ(boundary.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(boundary.error().message.find(expected) != std::string::npos)
        << content_type << " -> " << boundary.error().message;
  }
}

TEST(MultipartBoundaryTest, RecognisesTheMediaType) {
  EXPECT_TRUE(is_multipart_form_data("multipart/form-data; boundary=x"));
  EXPECT_TRUE(is_multipart_form_data(" MULTIPART/FORM-DATA "));
  EXPECT_FALSE(is_multipart_form_data("multipart/mixed; boundary=x"));
  EXPECT_FALSE(is_multipart_form_data("application/octet-stream"));
  EXPECT_FALSE(is_multipart_form_data(""));
}

}  // namespace
}  // namespace upfleet
