//! The dashboard's plain logic: file names, texts and languages, dates, mail, the share
//! link's key and the table's selection. These live here rather than in unit tests: a
//! unit test compiles the whole crate a second time in test mode, its views included,
//! and that took 90 s of a fresh test build (`Cargo.toml`: `test = false`).

use app::components::reveal::download_name;
use app::crypto::{key_from_fragment, CryptoError};
use app::format::{data_url, date, date_time, day_month, form_date_to_iso};
use app::i18n::{keys, Filled, Locale};
use app::loaded::Json;
use app::locale::preferred;
use app::pages::access_tokens::selection::select;
use chrono::{NaiveDate, TimeZone, Utc};
use domain::shares::{self, KEY_LEN};
use leptos::server::codee::{Decoder, Encoder};

#[test]
fn download_names_are_safe_file_names() {
    assert_eq!(download_name("CI deploy: prod"), "ci-deploy-prod.txt");
    assert_eq!(download_name("///"), "patio-token.txt");
}

#[test]
fn languages_are_found_by_their_primary_tag() {
    assert_eq!(Locale::find_locale(&["fr", "id-ID", "en"]), Locale::id);
    assert_eq!(Locale::find_locale(&["en-GB"]), Locale::en);
    assert_eq!(Locale::find_locale::<&str>(&[]), Locale::en);
    assert_eq!(Locale::find_locale(&["de"]), Locale::en);
    assert_eq!("ID".parse(), Ok(Locale::id));
}

#[test]
fn variables_are_filled_where_named() {
    let text = Filled::new("{{ n }} of {{total}}: {{ missing }}")
        .with("n", 3)
        .with("total", "10");
    assert_eq!(text.to_string(), "3 of 10: {{ missing }}");
    assert_eq!(
        Filled::new(keys::two_factor::codes_left(Locale::id))
            .with("n", 3)
            .to_string(),
        "Sisa kode pemulihan: 3 dari 10."
    );
    assert_eq!(
        Filled::new(keys::two_factor::on_since(Locale::en))
            .with("date", "today")
            .to_string(),
        "Two-factor sign-in is on since today."
    );
}

#[test]
fn data_urls_escape_everything_but_plain_characters() {
    assert_eq!(
        data_url("text/csv", "a,b\r\n"),
        "data:text/csv;charset=utf-8,a%2Cb%0D%0A"
    );
}

#[test]
fn dates_read_as_the_day_first_patterns_say() {
    for (y, m, d, h, min) in [
        (2026, 12, 6, 5, 7),
        (2027, 1, 31, 23, 59),
        (812, 3, 1, 0, 0),
    ] {
        let at = Utc.with_ymd_and_hms(y, m, d, h, min, 30).unwrap();
        assert_eq!(date(at), at.format("%d-%m-%Y").to_string());
        assert_eq!(date_time(at), at.format("%d-%m-%Y %H:%M").to_string());
        let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date(day), day.format("%d-%m-%Y").to_string());
        assert_eq!(day_month(&day), day.format("%d-%m").to_string());
    }
    assert_eq!(
        date_time(Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap()),
        "03-02-2026 04:05"
    );
}

#[test]
fn day_first_dates_become_iso() {
    assert_eq!(form_date_to_iso("31-12-2026"), "2026-12-31");
    assert_eq!(form_date_to_iso("1/2/2027"), "2027-02-01");
    assert_eq!(form_date_to_iso("2026-12-31"), "2026-12-31");
    assert_eq!(form_date_to_iso(""), "");
}

#[test]
fn the_cookie_wins_then_the_query_then_accept_language() {
    assert_eq!(
        preferred(Some("a=1; patio_lang=id"), Some("lang=en"), Some("fr")),
        ["id", "en", "fr"]
    );
    assert_eq!(
        preferred(None, Some("x=1&lang=id"), Some("en")),
        ["id", "en"]
    );
    assert_eq!(preferred(None, None, None), Vec::<String>::new());
}

#[test]
fn accept_language_is_ordered_by_quality() {
    assert_eq!(
        preferred(None, None, Some("en;q=0.5, id-ID, fr;q=0.8, de;q=0")),
        ["id-ID", "fr", "en"]
    );
}

#[test]
fn odd_language_values_are_dropped() {
    assert_eq!(
        preferred(Some("patio_lang=<script>"), Some("lang="), Some("*, en")),
        ["en"]
    );
}

#[test]
fn only_a_32_byte_key_is_taken_from_the_fragment() {
    let key = shares::encode(&[9u8; KEY_LEN]);
    assert_eq!(
        key_from_fragment(&format!("#{key}")).unwrap(),
        [9u8; KEY_LEN]
    );
    assert_eq!(key_from_fragment(&key).unwrap(), [9u8; KEY_LEN]);
    assert_eq!(key_from_fragment(""), Err(CryptoError::BadKey));
    assert_eq!(key_from_fragment("#short"), Err(CryptoError::BadKey));
    assert_eq!(
        key_from_fragment(&format!("#{key}x")),
        Err(CryptoError::BadKey)
    );
}

const IDS: [i64; 5] = [10, 20, 30, 40, 50];

#[test]
fn a_click_selects_only_that_row() {
    assert_eq!(select(&IDS, &[10, 20], Some(0), 2, false, false), [30]);
}

#[test]
fn ctrl_click_toggles() {
    assert_eq!(select(&IDS, &[10], Some(0), 2, true, false), [10, 30]);
    assert_eq!(select(&IDS, &[10, 30], Some(0), 2, true, false), [10]);
}

#[test]
fn shift_click_selects_the_range_from_the_anchor() {
    assert_eq!(select(&IDS, &[20], Some(1), 3, false, true), [20, 30, 40]);
    assert_eq!(select(&IDS, &[40], Some(3), 1, false, true), [20, 30, 40]);
    assert_eq!(select(&IDS, &[50], Some(1), 2, true, true), [50, 20, 30]);
}

/// Mail is written on the server only.
#[cfg(feature = "ssr")]
mod mail {
    use app::mail::{expiry_notice, wrap};
    use chrono::TimeZone;
    use domain::accounts::Language;
    use domain::notices::{DueNotice, NoticeKind};

    fn notice(kind: NoticeKind, language: Language) -> DueNotice {
        DueNotice {
            notice_id: 1,
            kind,
            token_id: 7,
            description: "CI deploy".into(),
            expires_at: chrono::Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap(),
            email: "ann@example.com".into(),
            language,
            attempts: 1,
        }
    }

    #[test]
    fn notices_name_the_token_and_link_to_the_tab_in_the_accounts_language() {
        let en = expiry_notice(
            &notice(NoticeKind::Week, Language::En),
            "https://patio.example.com/",
        );
        assert_eq!(
            en.subject,
            "Patio: access token \"CI deploy\" expires on 02-12-2026 09:30"
        );
        assert!(en
            .body
            .contains("https://patio.example.com/settings/access-tokens\n"));
        assert!(en.body.starts_with("Hello,"));
        let id = expiry_notice(
            &notice(NoticeKind::Expired, Language::Id),
            "https://patio.example.com",
        );
        assert!(id.subject.contains("sudah kedaluwarsa"), "{}", id.subject);
        assert!(id.body.starts_with("Halo,"));
        for email in [en, id] {
            assert!(
                email
                    .body
                    .lines()
                    .all(|l| l.chars().count() <= 72 || !l.contains(' ')),
                "{}",
                email.body
            );
            assert!(email.body.is_ascii());
        }
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text);
        assert!(wrapped.lines().all(|l| l.len() <= 72));
        assert_eq!(wrapped.split_whitespace().count(), 40);
    }
}

#[test]
fn a_resource_reads_back_what_leptos_default_codec_writes() {
    let value: Result<Vec<(i64, String)>, String> =
        Ok(vec![(7, "ci \"deploy\" é\u{1F511}".into())]);
    let text = <Json as Encoder<_>>::encode(&value).unwrap();
    assert_eq!(text, serde_json::to_string(&value).unwrap());
    let back: Result<Vec<(i64, String)>, String> = Json::decode(&text).unwrap();
    assert_eq!(back, value);
    let refused: Result<Vec<i64>, String> = Err("signed out".into());
    let text = serde_json::to_string(&refused).unwrap();
    assert_eq!(
        <Json as Decoder<Result<Vec<i64>, String>>>::decode(&text).unwrap(),
        refused
    );
    assert!(<Json as Decoder<Vec<i64>>>::decode("[1,").is_err());
}
