//! DNS cookies toward authoritative servers (RFC 7873): each server gets
//! its own client cookie and, once it has answered with a server cookie,
//! that cookie back; a UDP reply without our cookie from such a server is
//! discarded and the question asked over TCP; BADCOOKIE teaches a new
//! server cookie.

mod common;
use candor_wire::EdnsOption;
use common::*;
use std::sync::Arc;

/// The COOKIE option of a query, as (client, server).
fn cookie_of(q: &Message) -> Option<([u8; 8], Vec<u8>)> {
    q.edns.as_ref()?.options.iter().find_map(|o| match o {
        EdnsOption::Cookie { client, server } => Some((*client, server.clone())),
        _ => None,
    })
}

/// `m` with the COOKIE option (client, server).
fn with_cookie(mut m: Message, client: [u8; 8], server: &[u8]) -> Message {
    let cookie = EdnsOption::Cookie { client, server: server.to_vec() };
    m.edns = Some(candor_wire::Edns { options: vec![cookie], ..candor_wire::Edns::default() });
    m
}

/// What the script saw: each query's server, protocol and cookie.
type Seen = Arc<Mutex<Vec<(SocketAddr, Protocol, Option<([u8; 8], Vec<u8>)>)>>>;

#[tokio::test]
async fn a_server_cookie_is_sent_back_and_a_reply_without_ours_goes_to_tcp() {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    // The root refers example. to 127.0.0.2, which hands out a server
    // cookie over UDP; the third name's UDP reply is a forgery without it.
    let t = Scripted::new(move |server, proto, q| {
        let cookie = cookie_of(q);
        log.lock().unwrap().push((server, proto, cookie.clone()));
        let (client, _) = cookie.expect("every query carries a cookie");
        if server == addr(1) {
            return Ok(referral("example.", "ns.example.", "ns.example. 3600 A 127.0.0.2\n"));
        }
        let name = q.question().unwrap().name.to_string();
        let answer = resp(true, Rcode::NOERROR, &format!("{name} 300 A 192.0.2.1\n"), "", "");
        if name == "forged.example." && proto == Protocol::Udp {
            return Ok(resp(true, Rcode::NOERROR, &format!("{name} 300 A 203.0.113.66\n"), "", ""));
        }
        Ok(with_cookie(answer, client, &[0x5a; 16]))
    });
    let r = resolver(t, &[1]);
    for name in ["www.example.", "mail.example.", "forged.example."] {
        let res = r.resolve(&n(name), RType::A).await;
        assert_eq!(res.rcode, Rcode::NOERROR, "{name}");
        let a: Vec<String> = res.answers.iter().map(|r| r.data.to_string()).collect();
        assert_eq!(a, vec!["192.0.2.1"], "{name}: the forgery is not taken");
    }
    let seen = seen.lock().unwrap().clone();
    let to = |s: SocketAddr| seen.iter().filter(move |(a, _, _)| *a == s).cloned().collect::<Vec<_>>();
    let (root, example) = (to(addr(1)), to(addr(2)));
    // A client cookie per server, the same each time.
    let root_client = root[0].2.as_ref().unwrap().0;
    let example_client = example[0].2.as_ref().unwrap().0;
    assert_ne!(root_client, example_client);
    assert!(example.iter().all(|(_, _, c)| c.as_ref().unwrap().0 == example_client));
    // The first query to example. has no server cookie; the next carry its.
    assert!(example[0].2.as_ref().unwrap().1.is_empty());
    assert_eq!(example[1].2.as_ref().unwrap().1, vec![0x5a; 16]);
    // The forged UDP reply was discarded and the name asked over TCP.
    let protos: Vec<Protocol> = example.iter().map(|(_, p, _)| *p).collect();
    assert_eq!(protos, vec![Protocol::Udp, Protocol::Udp, Protocol::Udp, Protocol::Tcp]);
    assert_eq!(r.counters().upstream_count(candor_resolver::Upstream::CookieMismatch), 1);
}

#[tokio::test]
async fn badcookie_teaches_the_server_cookie_and_the_question_is_asked_again_with_it() {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let t = Scripted::new(move |server, proto, q| {
        let cookie = cookie_of(q);
        log.lock().unwrap().push((server, proto, cookie.clone()));
        let (client, theirs) = cookie.unwrap();
        if theirs != [0x77; 16] {
            // BADCOOKIE (an extended rcode: it needs the OPT record).
            return Ok(with_cookie(resp(false, Rcode::BADCOOKIE, "", "", ""), client, &[0x77; 16]));
        }
        Ok(with_cookie(resp(true, Rcode::NOERROR, "www.example. 300 A 192.0.2.1\n", "", ""), client, &theirs))
    });
    let r = resolver(t, &[1]);
    let res = r.resolve(&n("www.example."), RType::A).await;
    assert_eq!((res.rcode, res.answers.len()), (Rcode::NOERROR, 1));
    let seen = seen.lock().unwrap().clone();
    let servers: Vec<Vec<u8>> = seen.iter().map(|(_, _, c)| c.as_ref().unwrap().1.clone()).collect();
    assert_eq!(servers, vec![Vec::new(), vec![0x77; 16]], "asked again with the cookie BADCOOKIE taught");
    assert!(seen.iter().all(|(_, p, _)| *p == Protocol::Udp));
}

#[tokio::test]
async fn with_client_cookies_off_no_cookie_is_sent_and_none_is_checked() {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let t = Scripted::new(move |server, proto, q| {
        log.lock().unwrap().push((server, proto, cookie_of(q)));
        Ok(resp(true, Rcode::NOERROR, "www.example. 300 A 192.0.2.1\n", "", ""))
    });
    let mut cfg = loopback_config(Anchors::empty());
    cfg.qname_minimisation = false;
    cfg.client_cookies = false;
    let r = Resolver::new(cfg, t, ManualClock::at(1_800_000_000));
    assert_eq!(r.resolve(&n("www.example."), RType::A).await.answers.len(), 1);
    assert!(seen.lock().unwrap().iter().all(|(_, _, c)| c.is_none()));
}
