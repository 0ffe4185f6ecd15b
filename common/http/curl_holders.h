// RAII holders for libcurl handles: every early return releases them.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace upfleet::http {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends a copy of `line`. False on allocation failure, leaving `list` as it was.
inline bool append(CurlSlistPtr& list, const char* line) {
  curl_slist* head = curl_slist_append(list.get(), line);
  if (head == nullptr) return false;
  (void)list.release();  // curl_slist_append returned the same list, possibly a new head
  list.reset(head);
  return true;
}

}  // namespace upfleet::http
