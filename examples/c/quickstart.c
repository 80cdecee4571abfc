/* Minimal C app: log in, create a community, send a message, print the history.
 * Build: gcc -std=c11 -Iinclude examples/c/quickstart.c -Ltarget/debug -lcommunity_sdk_ffi
 *   or, against the installed C package: gcc -std=c11 quickstart.c $(pkg-config --cflags --libs community_sdk)
 * Run:   CSDK_SERVER_URL=ws://127.0.0.1:7600/ws CSDK_TOKEN_ALICE=… ./a.out */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community_sdk.h"

static int check(int32_t code) {
  if (code == CSDK_OK) return 1;
  char *error = csdk_last_error(); /* {"code":…,"name":…,"kind":…,"detail":…} */
  fprintf(stderr, "error %d: %s\n", code, error ? error : "");
  csdk_string_free(error);
  return 0;
}

int main(void) {
  const char *url = getenv("CSDK_SERVER_URL"), *token = getenv("CSDK_TOKEN_ALICE");
  if (!url || !token) return 2;
  printf("community-sdk %s\n", csdk_version());
  char dir[] = "/tmp/csdk-quickstart-XXXXXX", options[512];
  if (!mkdtemp(dir)) return 2;
  snprintf(options, sizeof options, "{\"server_url\":\"%s\",\"data_dir\":\"%s\"}", url, dir);
  CsdkClient *client = NULL;
  char *community = NULL, *channel = NULL, *echo = NULL, *history = NULL;
  int good = check(csdk_client_new(options, &client)) && check(csdk_client_login(client, "alice", token, NULL)) &&
             check(csdk_client_create_community(client, "{\"name\":\"Quickstart\"}", &community)) &&
             check(csdk_community_create_channel(client, community, "{\"name\":\"hello\"}", &channel)) &&
             check(csdk_channel_send(client, community, channel, "{\"type\":\"text\",\"text\":\"hi from C\"}", NULL, &echo));
  /* The echo is a LocalMessage: wait for its "local_id" to be sent, then read the history. */
  char local_id[64] = "";
  const char *at = echo ? strstr(echo, "\"local_id\":\"") : NULL;
  if (at) sscanf(at + strlen("\"local_id\":\""), "%63[^\"]", local_id);
  uint64_t seq = 0;
  good = good && check(csdk_client_wait_for_send(client, local_id, &seq)) &&
         check(csdk_channel_messages(client, community, channel, 0, 20, &history));
  if (good) printf("sent %s as #%llu\nhistory %s\n", local_id, (unsigned long long)seq, history);
  csdk_string_free(echo);
  csdk_string_free(history);
  csdk_string_free(channel);
  csdk_string_free(community);
  csdk_client_free(client);
  return good ? 0 : 1;
}
