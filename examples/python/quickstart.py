"""Minimal Python app: log in, create a community, send a message, read the history.
Run with CSDK_SERVER_URL and CSDK_TOKEN_ALICE set, and the package installed
(`pip install community_sdk-*.whl`) or on PYTHONPATH."""
import asyncio
import os
import tempfile

import community_sdk as sdk


async def main():
    print("community-sdk", sdk.version())
    options = sdk.ClientOptions(server_url=os.environ["CSDK_SERVER_URL"], data_dir=tempfile.mkdtemp())
    client = await sdk.Client.create(options)
    await client.login("alice", os.environ["CSDK_TOKEN_ALICE"])
    community = await client.create_community(sdk.NewCommunity(name="Quickstart", join_policy=sdk.JoinPolicy.FREE))
    channel = await community.create_channel(sdk.NewChannel(name="hello", kind=sdk.ChannelKind.TEXT))
    echo = await channel.send_text("hi from Python")
    seq = await client.wait_for_send(echo.local_id)
    print("sent", echo.local_id, "as", seq)
    history = await channel.messages(None, 20)
    texts = [m.content.text for m in history if isinstance(m.content, sdk.MessageContent.TEXT)]
    assert "hi from Python" in texts, texts
    print("read back", texts)
    try:
        await client.create_community(sdk.NewCommunity(name="", join_policy=sdk.JoinPolicy.FREE))
    except sdk.SdkError as error:  # every variant carries code, name and detail
        print("typed error", error.code, error.name, error.detail)
    await client.shutdown()


asyncio.run(main())
