// A MonoBehaviour that logs in, lists the user's communities with their unread badges
// (kept up to date by a subscription whose events arrive on the main thread) and sends a
// message. Put it on a GameObject, fill in the server URL, user and token in the
// inspector, press Play. (Tested outside Unity by tests/csharp.sh against a stand-in of
// UnityEngine on a main-thread pump.)

using System;
using System.IO;
using System.Linq;
using System.Text;
using CommunitySdk;
using UnityEngine;

public class CommunityQuickstart : MonoBehaviour
{
    public string serverUrl = "ws://127.0.0.1:7600/ws";
    public string userId = "alice";
    public string token = "";
    public string message = "hello from Unity";

    private Client client;
    private Subscription<UnreadUpdate> unread;

    // Unity runs Start on the main thread with its SynchronizationContext: awaits come back
    // to the main thread, and the client created here raises its events there too.
    private async void Start()
    {
        try
        {
            client = await Client.CreateAsync(new ClientOptions
            {
                ServerUrl = serverUrl,
                DataDir = Path.Combine(Application.persistentDataPath, "community-sdk"),
                DeviceId = SystemInfo.deviceUniqueIdentifier,
            });
            LoginOutcome outcome = await client.LoginAsync(userId, token);
            Debug.Log("logged in as " + userId + ": " + outcome);

            var communities = client.Communities();
            Community community = communities.Count > 0
                ? client.Community(communities[0].Info.CommunityId)
                : await client.CreateCommunityAsync(new NewCommunity { Name = "Unity guild" });

            ShowBadges();
            unread = client.SubscribeUnread(update => ShowBadges()); // main thread

            var info = community.Entry().Info;
            Channel channel = community.Channel(info.DefaultChannelId);
            LocalMessage echo = await channel.SendTextAsync(message); // the local echo, at once
            ulong seq = await client.WaitForSendAsync(echo.LocalId);
            Debug.Log("sent \"" + message + "\" to #" + info.Name + " as #" + seq);
        }
        catch (SdkException e)
        {
            Debug.LogError("SDK error " + e.Code + " " + e.Name + ": " + e.Detail);
        }
    }

    private void ShowBadges()
    {
        var text = new StringBuilder("communities:");
        foreach (var entry in client.Communities())
        {
            CommunityUnread counts = client.Community(entry.Info.CommunityId).Unread();
            ulong badge = counts == null ? 0 : counts.UnreadCount;
            text.Append("\n  ").Append(entry.Info.Name).Append(badge > 0 ? " (" + badge + ")" : "");
        }
        Debug.Log(text.ToString());
    }

    private void OnDestroy()
    {
        if (unread != null) unread.Dispose();
        if (client != null) client.Dispose(); // ends the subscriptions still open, frees the client
    }
}
