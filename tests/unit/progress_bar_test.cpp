// The upfleetctl progress bar text and byte formatting.
#include "tools/progress_bar.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace upfleet::ctl {
namespace {

TEST(HumanBytes, UsesBinaryUnits) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(1.5 * (1 << 20)), "1.5 MiB");
  EXPECT_EQ(human_bytes(50.0 * (1 << 20)), "50.0 MiB");
  EXPECT_EQ(human_bytes(3.0 * (1ull << 30)), "3.0 GiB");
  EXPECT_EQ(human_bytes(2.0 * (1ull << 40)), "2.0 TiB");
  EXPECT_EQ(human_bytes(2048.0 * (1ull << 40)), "2048.0 TiB");  // no unit past TiB
}

TEST(ProgressBarRender, ZeroPercent) {
  EXPECT_EQ(ProgressBar::render("file.bin", 0, 50 << 20, 0, 10),
            "file.bin [----------]   0%  0 B / 50.0 MiB  0 B/s");
}

TEST(ProgressBarRender, FiftyPercent) {
  EXPECT_EQ(ProgressBar::render("file.bin", 25 << 20, 50 << 20, 81.2 * (1 << 20), 10),
            "file.bin [#####-----]  50%  25.0 MiB / 50.0 MiB  81.2 MiB/s");
}

TEST(ProgressBarRender, HundredPercent) {
  EXPECT_EQ(ProgressBar::render("file.bin", 50 << 20, 50 << 20, 1024, 10),
            "file.bin [##########] 100%  50.0 MiB / 50.0 MiB  1.0 KiB/s");
}

TEST(ProgressBarRender, DoneBeyondTotalStaysAtHundredPercent) {
  EXPECT_EQ(ProgressBar::render("f", 200, 100, 0, 4), "f [####] 100%  200 B / 100 B  0 B/s");
}

TEST(ProgressBarRender, ZeroTotalIsComplete) {
  EXPECT_EQ(ProgressBar::render("empty", 0, 0, 0, 4), "empty [####] 100%  0 B / 0 B  0 B/s");
}

TEST(ProgressBarRender, LongLabelsKeepTheirEnd) {
  const std::string label = "a/very/long/directory/name/with/the-file.bin";  // 44 bytes
  const std::string text = ProgressBar::render(label, 0, 10, 0, 2);
  EXPECT_EQ(text.substr(0, text.find(' ')), "…" + label.substr(label.size() - 27));
}

TEST(ProgressBar, DrawsNothingWhenNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressBar bar(file, "x", 100);
  EXPECT_FALSE(bar.enabled());
  bar.update(50);
  bar.finish(100);
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);
}

}  // namespace
}  // namespace upfleet::ctl
