/* Push tokens (protocol §23.1) in C against a real community-server (started by
 * tests/bindings.sh: CSDK_SERVER_URL, CSDK_TOKEN_ALICE). A token registered before login
 * is accepted (sent once logged in); every platform name registers; an unknown platform
 * name is CSDK_ERR_INVALID_ARGUMENT; bad tokens fail with CSDK_ERR_INVALID_PUSH_TOKEN
 * (5039, named in csdk_last_error); unregistering succeeds; logout (which unregisters the
 * token) still works. Prints "N passed, N failed". Kept valgrind-clean. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community_sdk.h"

static int passed, failed;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      passed++;                                   \
    } else {                                      \
      failed++;                                   \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

static int ok(int32_t code, const char *what) {
  if (code == CSDK_OK) {
    passed++;
    return 1;
  }
  char *error = csdk_last_error();
  failed++;
  printf("FAIL %s: code %d %s\n", what, code, error ? error : "(no detail)");
  csdk_string_free(error);
  return 0;
}

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (!value || !*value) {
    fprintf(stderr, "missing environment variable %s\n", name);
    exit(2);
  }
  return value;
}

/* The wire names of the platforms (PushPlatform in the JSON records). */
static const char *const PLATFORMS[] = {"apns", "apns_sandbox", "fcm", "hms", "web_push", "other"};

int main(void) {
  const char *url = env("CSDK_SERVER_URL");
  CHECK(csdk_version() && *csdk_version(), "a version");
  char dir[] = "/tmp/csdk-c-push-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char options[512];
  snprintf(options, sizeof options, "{\"server_url\":\"%s\",\"data_dir\":\"%s/alice\",\"device_id\":\"c-push\"}", url,
           dir);
  CsdkClient *client = NULL;
  if (!ok(csdk_client_new(options, &client), "csdk_client_new")) return 1;

  /* Before login: kept, sent once logged in. */
  ok(csdk_client_register_push_token(client, "fcm", "c-fcm-early"), "register before login");
  ok(csdk_client_login(client, "alice", env("CSDK_TOKEN_ALICE"), NULL), "login");

  for (size_t i = 0; i < sizeof PLATFORMS / sizeof PLATFORMS[0]; i++) {
    char token[64];
    snprintf(token, sizeof token, "c-%s", PLATFORMS[i]);
    ok(csdk_client_register_push_token(client, PLATFORMS[i], token), PLATFORMS[i]);
  }
  CHECK(csdk_client_register_push_token(client, "gcm", "c-gcm") == CSDK_ERR_INVALID_ARGUMENT,
        "an unknown platform name is invalid_argument");
  csdk_string_free(csdk_last_error());
  ok(csdk_client_register_push_token(client, "apns_sandbox", "c-apns"), "register");
  ok(csdk_client_register_push_token(client, "apns_sandbox", "c-apns"), "register again");

  const char *bad[] = {"", " padded", "line\nbreak"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(csdk_client_register_push_token(client, "fcm", bad[i]) == CSDK_ERR_INVALID_PUSH_TOKEN,
          "bad token %zu is 5039", i);
    char *error = csdk_last_error();
    CHECK(error && strstr(error, "\"name\":\"invalid_push_token\""), "last error: %s", error ? error : "NULL");
    csdk_string_free(error);
  }
  char *long_token = malloc(1100);
  memset(long_token, 'x', 1099);
  long_token[1099] = '\0';
  CHECK(csdk_client_unregister_push_token(client, long_token) == CSDK_ERR_INVALID_PUSH_TOKEN,
        "a too long token is 5039");
  csdk_string_free(csdk_last_error());
  free(long_token);

  ok(csdk_client_unregister_push_token(client, "c-apns"), "unregister");
  ok(csdk_client_unregister_push_token(client, "never-registered"), "unregister an unknown token");
  ok(csdk_client_register_push_token(client, "hms", "c-hms-last"), "register the last token");
  ok(csdk_client_logout(client), "logout (unregisters the token)");
  ok(csdk_client_close(client), "close");
  csdk_client_free(client);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
