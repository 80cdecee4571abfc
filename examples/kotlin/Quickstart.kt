// Minimal Kotlin app: log in, create a community, send a message, read the history.
// Run by tests/bindings.sh (and tests/packaging.sh, against the installed jar) with
// CSDK_SERVER_URL and CSDK_TOKEN_ALICE set.
package dev.community.examples

import dev.community.sdk.*
import java.nio.file.Files
import kotlinx.coroutines.runBlocking

fun main() = runBlocking {
    println("community-sdk ${version()}")
    val dataDir = Files.createTempDirectory("csdk-quickstart").toString()
    val client = Client.create(ClientOptions(serverUrl = System.getenv("CSDK_SERVER_URL"), dataDir = dataDir))
    client.login("alice", System.getenv("CSDK_TOKEN_ALICE"))
    val community = client.createCommunity(NewCommunity(name = "Quickstart", joinPolicy = JoinPolicy.FREE))
    val channel = community.createChannel(NewChannel(name = "hello", kind = ChannelKind.TEXT))
    val echo = channel.sendText("hi from Kotlin")
    val seq = client.waitForSend(echo.localId)
    println("sent ${echo.localId} as #$seq")
    val texts = channel.messages(null, 20u).map { it.content }.filterIsInstance<MessageContent.Text>().map { it.text }
    check("hi from Kotlin" in texts) { "history $texts" }
    println("read back $texts")
    try {
        client.createCommunity(NewCommunity(name = "", joinPolicy = JoinPolicy.FREE))
    } catch (e: SdkException) {
        println("typed error ${e.code} ${e.name}: ${e.detail}")
    }
    client.shutdown()
    client.close()
}
