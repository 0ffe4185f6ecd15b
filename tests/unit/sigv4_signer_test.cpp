// Runs every case of the AWS SigV4 test suite (copied from aws-c-auth's tests/aws-signing-
// test-suite/v4) through SigV4Signer, for header signing and for query presigning, and checks
// the canonical request, string to sign, signature and the final signed request.
//
// Each case runs in generic mode (the suite's own rules: normalise when the context says so,
// encode the path). Cases whose path S3 would sign the same way (no dot segments or double
// slashes to normalise) also run in S3 mode: the path encoded once by uri_encode_path, as
// S3Client does, and signed verbatim. The normalising cases cannot match in S3 mode by design
// (S3 keys may legitimately contain "..", "." and "//"), so only generic mode checks them.
#include "common/s3/sigv4_signer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/crypto/sha256.h"
#include "common/s3/uri_encode.h"

namespace upfleet::s3 {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(UPFLEET_SHARED_TESTDATA) / "aws-sigv4-test-suite";
constexpr size_t kExpectedCaseCount = 38;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One parsed request.txt.
struct SuiteRequest {
  std::string method;
  std::string path;  // raw, as written in the file (may hold spaces and UTF-8)
  QueryParams query;
  http::Headers headers;
  std::string body;
};

QueryParams parse_query(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    const auto name = uri_decode(pair.substr(0, eq));
    const auto value =
        uri_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    params.emplace_back(name.value_or(""), value.value_or(""));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

// Splits "GET /a b/?x=y HTTP/1.1" into method, path and query: the path may contain spaces.
void parse_request_line(std::string_view line, SuiteRequest& out) {
  const size_t method_end = line.find(' ');
  const size_t version_start = line.rfind(" HTTP/");
  const std::string_view target = line.substr(method_end + 1, version_start - method_end - 1);
  out.method = std::string(line.substr(0, method_end));
  const size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query = parse_query(target.substr(question + 1));
}

SuiteRequest parse_request(const std::string& text) {
  SuiteRequest out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  parse_request_line(line, out);
  while (std::getline(in, line) && !line.empty()) {
    if ((line[0] == ' ' || line[0] == '\t') && !out.headers.empty()) {
      // Obsolete line folding (RFC 7230 3.2.4): the continuation joins with a space.
      out.headers.back().second += " " + line;
      continue;
    }
    const size_t colon = line.find(':');
    out.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << in.rdbuf();
  out.body = body.str();
  return out;
}

std::chrono::system_clock::time_point parse_timestamp(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &year, &month, &day, &hour, &minute, &second);
  using namespace std::chrono;
  return sys_days{std::chrono::year{year} / month / day} + hours{hour} + minutes{minute} +
         seconds{second};
}

// The value of "Name:value" in a signed-request file, or empty.
std::string header_in(const std::string& signed_request, std::string_view name) {
  std::istringstream in(signed_request);
  std::string line;
  const std::string prefix = to_lower_ascii(name) + ":";
  while (std::getline(in, line)) {
    if (to_lower_ascii(line).starts_with(prefix)) return line.substr(prefix.size());
  }
  return {};
}

struct SuiteCase {
  std::string name;
  fs::path dir;
};

std::vector<SuiteCase> discover_cases() {
  std::vector<SuiteCase> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) {
      cases.push_back({entry.path().filename().string(), entry.path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const SuiteCase& a, const SuiteCase& b) { return a.name < b.name; });
  return cases;
}

const std::vector<SuiteCase>& all_cases() {
  static const std::vector<SuiteCase> cases = discover_cases();
  return cases;
}

// S3 signs paths verbatim, so a case whose expected canonical path comes from normalising
// (dot segments, repeated slashes) cannot match in S3 mode.
bool s3_mode_applies(const SuiteRequest& request, const nlohmann::json& context) {
  return !context.value("normalize", true) || normalize_path(request.path) == request.path;
}

// A signing style to run a case in.
struct Mode {
  const char* name;
  bool s3_style;
};

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteCase> {
 protected:
  void SetUp() override {
    const fs::path& dir = GetParam().dir;
    request_ = parse_request(read_file(dir / "request.txt"));
    context_ = nlohmann::json::parse(read_file(dir / "context.json"));
    now_ = parse_timestamp(context_["timestamp"].get<std::string>());
    payload_hash_ = context_.value("sign_body", false) ? crypto::sha256_hex(request_.body)
                                                       : std::string(crypto::kEmptySha256Hex);
  }

  std::vector<Mode> modes() const {
    std::vector<Mode> out{{"generic", false}};
    if (s3_mode_applies(request_, context_)) out.push_back({"s3", true});
    return out;
  }

  SigV4Signer signer(const Mode& mode) const {
    const auto& creds = context_["credentials"];
    Credentials credentials{creds["access_key_id"].get<std::string>(),
                            creds["secret_access_key"].get<std::string>(),
                            creds.value("token", std::string())};
    SigV4Options options = SigV4Options::generic(context_["region"].get<std::string>(),
                                                 context_["service"].get<std::string>());
    options.normalize_path = !mode.s3_style && context_.value("normalize", true);
    options.double_encode_path = !mode.s3_style;
    options.add_content_sha256_header = context_.value("sign_body", false);
    options.sign_session_token = !context_.value("omit_session_token", false);
    return SigV4Signer(std::move(credentials), std::move(options));
  }

  SigningInput input(const Mode& mode, std::string& path_storage) const {
    path_storage = mode.s3_style ? uri_encode_path(request_.path) : request_.path;
    return SigningInput{request_.method, path_storage, request_.query, request_.headers,
                        payload_hash_};
  }

  std::string expected(const char* file) const { return read_file(GetParam().dir / file); }

  SuiteRequest request_;
  nlohmann::json context_;
  std::chrono::system_clock::time_point now_;
  std::string payload_hash_;
};

TEST_P(SigV4SuiteTest, HeaderSigning) {
  const std::string signed_request = expected("header-signed-request.txt");
  for (const Mode& mode : modes()) {
    SCOPED_TRACE(mode.name);
    std::string path;
    const HeaderSignature result = signer(mode).sign_headers(input(mode, path), now_);
    EXPECT_EQ(result.details.canonical_request, expected("header-canonical-request.txt"));
    EXPECT_EQ(result.details.string_to_sign, expected("header-string-to-sign.txt"));
    EXPECT_EQ(result.details.signature, expected("header-signature.txt"));
    // Every header the signer adds must appear, with the same value, in the signed request.
    ASSERT_FALSE(result.headers.empty());
    for (const auto& [name, value] : result.headers) {
      EXPECT_EQ(value, header_in(signed_request, name)) << name;
    }
  }
}

TEST_P(SigV4SuiteTest, QueryPresigning) {
  const std::string signed_request = expected("query-signed-request.txt");
  const std::string first_line = signed_request.substr(0, signed_request.find('\n'));
  const size_t query_start = first_line.find('?') + 1;
  QueryParams expected_query =
      parse_query(first_line.substr(query_start, first_line.rfind(" HTTP/") - query_start));
  std::sort(expected_query.begin(), expected_query.end());
  const auto expires = std::chrono::seconds(context_["expiration_in_seconds"].get<int>());

  for (const Mode& mode : modes()) {
    SCOPED_TRACE(mode.name);
    std::string path;
    const QuerySignature result = signer(mode).presign(input(mode, path), now_, expires);
    EXPECT_EQ(result.details.canonical_request, expected("query-canonical-request.txt"));
    EXPECT_EQ(result.details.string_to_sign, expected("query-string-to-sign.txt"));
    EXPECT_EQ(result.details.signature, expected("query-signature.txt"));
    QueryParams actual_query = request_.query;
    actual_query.insert(actual_query.end(), result.params.begin(), result.params.end());
    std::sort(actual_query.begin(), actual_query.end());
    EXPECT_EQ(actual_query, expected_query);
  }
}

std::string case_test_name(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, ::testing::ValuesIn(all_cases()),
                         case_test_name);

// Names the cases checked in generic mode only, so none is left out of S3 mode silently:
// exactly the six whose expected path is the normalised one.
TEST(SigV4Suite, OnlyPathNormalisingCasesAreGenericOnly) {
  std::vector<std::string> generic_only;
  for (const SuiteCase& suite_case : all_cases()) {
    const auto request = parse_request(read_file(suite_case.dir / "request.txt"));
    const auto context = nlohmann::json::parse(read_file(suite_case.dir / "context.json"));
    if (!s3_mode_applies(request, context)) generic_only.push_back(suite_case.name);
  }
  EXPECT_EQ(generic_only, (std::vector<std::string>{
                              "get-relative-normalized", "get-relative-relative-normalized",
                              "get-slash-dot-slash-normalized", "get-slash-normalized",
                              "get-slash-pointless-dot-normalized", "get-slashes-normalized"}));
}

// Guards against the suite silently shrinking (a moved directory would otherwise just
// instantiate fewer tests).
TEST(SigV4Suite, AllCasesDiscovered) {
  EXPECT_EQ(all_cases().size(), kExpectedCaseCount) << "suite dir: " << kSuiteDir;
}

}  // namespace
}  // namespace upfleet::s3
