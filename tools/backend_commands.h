// upfleetctl subcommands that work on Kafka and S3 directly, without an ingest.
#pragma once

#include <string>
#include <vector>

namespace upfleet::ctl {

// enqueue FILE... [--key KEY] [--prefix PREFIX] [--bucket BUCKET]: publishes upload jobs whose
// source is the file itself (file://, for workers that share the volume); with --key, all
// files are successive versions of that one key, published in order. Prints one JSON line per
// job: {upload_id, key, size, sha256}.
int run_enqueue(const std::vector<std::string>& args);

// watch UPLOAD_ID... [--state uploaded] [--timeout 120s]: follows the status topic until every
// upload reached the state (or was dead-lettered), then prints a table.
int run_watch(const std::vector<std::string>& args, bool json);

// gc-multipart [--older-than 24h] [--prefix P] [--bucket B] [--dry-run]: aborts multipart
// uploads older than the limit that no live upload owns (per the status topic).
int run_gc_multipart(const std::vector<std::string>& args);

}  // namespace upfleet::ctl
