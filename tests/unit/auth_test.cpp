// Bearer tokens for client endpoints and the spool endpoint.
#include "producer/auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace upfleet {
namespace {

TEST(BearerToken, ExtractsTheToken) {
  EXPECT_EQ(bearer_token("Bearer abc123"), "abc123");
  EXPECT_EQ(bearer_token("Bearer a.b-c_d~e+f/g="), "a.b-c_d~e+f/g=");
}

TEST(BearerToken, SchemeIsCaseInsensitive) {
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("bEaReR abc"), "abc");
}

TEST(BearerToken, SurroundingSpacesAreDropped) {
  EXPECT_EQ(bearer_token("Bearer    abc   "), "abc");
}

TEST(BearerToken, MissingOrEmptyGivesEmpty) {
  EXPECT_EQ(bearer_token(""), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Bearer      "), "");
}

TEST(BearerToken, OtherSchemesGiveEmpty) {
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token("Token abc"), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  EXPECT_EQ(bearer_token("abc"), "");
}

// The scheme check folds case with `| 0x20`, which also maps NUL onto the space after
// "Bearer": "Bearer\0<token>" must not count as a bearer header.
TEST(BearerToken, NulInsteadOfTheSpaceIsNotABearerHeader) {
  using namespace std::string_view_literals;
  EXPECT_EQ(bearer_token("Bearer\0secret"sv), "");
  EXPECT_FALSE(token_accepted("Bearer\0secret"sv, {"secret"}));
}

TEST(ConstantTimeEquals, ComparesContent) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("secret", ""));
}

TEST(TokenAccepted, AcceptsAnyConfiguredToken) {
  const std::vector<std::string> tokens = {"first-token", "second-token", "third-token"};
  EXPECT_TRUE(token_accepted("Bearer first-token", tokens));
  EXPECT_TRUE(token_accepted("Bearer second-token", tokens));
  EXPECT_TRUE(token_accepted("bearer third-token", tokens));
}

TEST(TokenAccepted, RejectsWrongMissingAndPartialTokens) {
  const std::vector<std::string> tokens = {"first-token", "second-token"};
  EXPECT_FALSE(token_accepted("Bearer wrong", tokens));
  EXPECT_FALSE(token_accepted("Bearer first", tokens));          // prefix
  EXPECT_FALSE(token_accepted("Bearer first-token-x", tokens));  // longer
  EXPECT_FALSE(token_accepted("Bearer FIRST-TOKEN", tokens));    // tokens are case-sensitive
  EXPECT_FALSE(token_accepted("first-token", tokens));           // no scheme
  EXPECT_FALSE(token_accepted("Basic first-token", tokens));
  EXPECT_FALSE(token_accepted("", tokens));
  EXPECT_FALSE(token_accepted("Bearer ", tokens));
}

TEST(TokenAccepted, EmptyTokenListAcceptsNothing) {
  EXPECT_FALSE(token_accepted("Bearer anything", {}));
  EXPECT_FALSE(token_accepted("", {}));
}

TEST(TokenAccepted, AnEmptyConfiguredTokenDoesNotLetEmptyCredentialsIn) {
  EXPECT_FALSE(token_accepted("", {""}));
  EXPECT_FALSE(token_accepted("Bearer ", {""}));
}

TEST(TokensFile, OneTokenPerLineWithCommentsAndBlankLines) {
  auto tokens = parse_tokens("# client tokens\n\nalpha-1\n  beta-2  \r\n\t# old: gamma\nlast");
  ASSERT_TRUE(tokens.has_value()) << tokens.error().message;
  EXPECT_EQ(*tokens, (std::vector<std::string>{"alpha-1", "beta-2", "last"}));
  EXPECT_TRUE(token_accepted("Bearer beta-2", *tokens));
}

TEST(TokensFile, EmptyTextHasNoTokens) {
  EXPECT_TRUE(parse_tokens("").value().empty());
  EXPECT_TRUE(parse_tokens("\n# nothing\n\n").value().empty());
}

TEST(TokensFile, TokenWithInnerSpaceIsAnErrorThatDoesNotEchoIt) {
  auto tokens = parse_tokens("good\nsecret part\n");
  ASSERT_FALSE(tokens.has_value());
  EXPECT_NE(tokens.error().message.find("line 2"), std::string::npos);
  EXPECT_EQ(tokens.error().message.find("secret"), std::string::npos);
}

TEST(TokensFile, UnreadableFileIsAnError) {
  auto tokens = read_tokens_file("/nonexistent/upfleet/tokens");
  ASSERT_FALSE(tokens.has_value());
  EXPECT_NE(tokens.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace upfleet
