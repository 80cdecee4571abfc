//! Do-not-disturb: a community in do-not-disturb is left out of the total unread count,
//! while its mentions still count, and its own counts stay visible.

use community_e2e::{TestClient, TestResult, TestServer, eventually, guild};
use community_protocol::{Mentions, MessageContent, NotificationStatus};
use community_sdk::SendOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_not_disturb_leaves_the_total_but_keeps_mentions() -> TestResult {
    let server = TestServer::start().await?;
    let alice = TestClient::login(&server, "alice", "alice-phone").await?;
    let bob = TestClient::login(&server, "bob", "bob-phone").await?;
    let bob_tablet = TestClient::login(&server, "bob", "bob-tablet").await?;
    let (loud, loud_general) = guild(&alice, "Loud", &[&bob, &bob_tablet]).await?;
    let (quiet, quiet_general) = guild(&alice, "Quiet", &[&bob, &bob_tablet]).await?;

    bob.client
        .community(&quiet)
        .set_notification(NotificationStatus::DoNotDisturb)
        .await?;

    let loud_channel = alice.client.community(&loud).channel(&loud_general);
    loud_channel.send_text("one").await?;
    loud_channel.send_text("two").await?;
    let quiet_channel = alice.client.community(&quiet).channel(&quiet_general);
    quiet_channel.send_text("psst").await?;
    quiet_channel.send_text("psst psst").await?;
    let mention = SendOptions {
        mentions: Mentions {
            users: vec!["bob".into()],
            everyone: false,
            groups: Vec::new(),
        },
        ..Default::default()
    };
    quiet_channel
        .send(
            MessageContent::Text {
                text: "@bob look".into(),
            },
            mention,
        )
        .await?;

    for device in [&bob, &bob_tablet] {
        eventually("bob's counts settle", || {
            device
                .client
                .community(&quiet)
                .unread()
                .is_some_and(|u| u.unread_count == 3)
                && device
                    .client
                    .community(&loud)
                    .unread()
                    .is_some_and(|u| u.unread_count == 2)
        })
        .await?;
        // The tablet learns the status from the phone through the server.
        eventually("the status reached every device", || {
            device
                .client
                .community(&quiet)
                .unread()
                .is_some_and(|u| u.notification == NotificationStatus::DoNotDisturb)
        })
        .await?;
        let totals = device.client.unread_totals();
        assert_eq!(totals.total_unread, 2, "the quiet community is left out");
        assert_eq!(totals.total_mentions, 1, "its mention still counts");
    }

    bob.client
        .community(&quiet)
        .set_notification(NotificationStatus::Notify)
        .await?;
    assert_eq!(bob.client.unread_totals().total_unread, 5);
    Ok(())
}
