//! A one-line picture of an issue's event volume, for every client: Unicode blocks, then the
//! total, the peak and the trend in words (a model reads the words, a person glances at the blocks).
//!
//! Sentry sends an issue's volume as `stats: {"24h": [[epochSeconds, count], …], "30d": …}` (the
//! list endpoint's `groupStatsPeriod`, the details endpoint's 24 h and 30 d series). These counts
//! are Sentry's own, not application-written, so the line stays outside the untrusted-data boundary.
//! The label says what the series covers: a named period (`24h`, `14d`, `30d`) by its name, any
//! other (`auto`, which follows the request's `statsPeriod`) by the span of its own buckets, so it
//! never claims a period the data does not cover.

use serde_json::Value;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Series names in order of preference: the most recent first.
const PREFERRED: [&str; 4] = ["24h", "14d", "30d", "auto"];
/// Longer series are summed into at most this many blocks (a block costs a model one or two
/// tokens; a day's 25 hourly points become 9 three-hour blocks).
const MAX_BLOCKS: usize = 12;

/// `**Last 24 h**: ▁▁▂█▅▃ 312 events · peak 41 in the hour from 14:00 UTC · rising`, or `None`
/// when the issue carries no usable series.
pub(crate) fn volume_line(stats: &Value) -> Option<String> {
    let series = stats.as_object()?;
    let (name, points) = PREFERRED
        .iter()
        .find_map(|k| series.get(*k).map(|v| (*k, v)))
        .or_else(|| series.iter().next().map(|(k, v)| (k.as_str(), v)))?;
    let points: Vec<(i64, u64)> = points
        .as_array()?
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()? as i64, p.get(1)?.as_f64()?.max(0.0) as u64)))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let step = (points[1].0 - points[0].0).max(1);
    let total: u64 = points.iter().map(|p| p.1).sum();
    let label = match name {
        "24h" => "Last 24 h".to_string(),
        "14d" => "Last 14 days".to_string(),
        "30d" => "Last 30 days".to_string(),
        _ => covered(points[points.len() - 1].0 - points[0].0),
    };
    if total == 0 {
        return Some(format!("**{label}**: no events"));
    }
    let counts: Vec<u64> = points.iter().map(|p| p.1).collect();
    let per_block = counts.len().div_ceil(MAX_BLOCKS);
    let blocks: Vec<u64> = counts.chunks(per_block).map(|c| c.iter().sum()).collect();
    let max = blocks.iter().copied().max().unwrap_or(0).max(1);
    let line: String = blocks
        .iter()
        .map(|&n| if n == 0 { BLOCKS[0] } else { BLOCKS[1 + ((n * 6) / max) as usize] })
        .collect();
    let (peak_at, peak) = points.iter().copied().max_by_key(|p| (p.1, p.0)).unwrap_or((0, 0));
    let when = if step >= 86_400 {
        format!("on {}", &crate::render::iso_from_epoch(peak_at)[..10])
    } else {
        let iso = crate::render::iso_from_epoch(peak_at);
        let unit = if step >= 3_600 { "the hour" } else { "the interval" };
        format!("in {unit} from {} UTC", iso.get(11..16).unwrap_or(&iso))
    };
    let events = if total == 1 { "event" } else { "events" };
    Some(format!("**{label}**: {line} {total} {events} · peak {peak} {when} · {}", trend(&counts)))
}

/// `Last 14 days`, `Last 6 h`, `Last 45 min`: the span from the first bucket to the last.
fn covered(seconds: i64) -> String {
    match seconds {
        s if s >= 2 * 86_400 && s % 86_400 == 0 => format!("Last {} days", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("Last {} h", s / 3_600),
        s => format!("Last {} min", (s / 60).max(1)),
    }
}

/// The trend in words: the last third of the period against the first third.
fn trend(counts: &[u64]) -> &'static str {
    let third = (counts.len() / 3).max(1);
    let first: u64 = counts[..third].iter().sum();
    let last: u64 = counts[counts.len() - third..].iter().sum();
    let before_last: u64 = counts[..counts.len() - third].iter().sum();
    match (first, last) {
        _ if before_last == 0 => "new in this period",
        (_, 0) => "stopped",
        (f, l) if l * 2 > f * 3 => "rising",
        (f, l) if l * 3 < f * 2 => "falling",
        _ => "steady",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hourly(counts: &[u64]) -> Value {
        let start = 1_764_547_200; // 2025-12-01T00:00:00Z
        json!({"24h": counts.iter().enumerate().map(|(i, c)| json!([start + 3_600 * i as i64, c])).collect::<Vec<_>>()})
    }

    #[test]
    fn blocks_peak_and_trend() {
        let line = volume_line(&hourly(&[0, 1, 2, 0, 3, 8, 12, 9, 10])).unwrap(); // one block each
        assert_eq!(
            line,
            "**Last 24 h**: ▁▂▃▁▃▆█▆▇ 45 events · peak 12 in the hour from 06:00 UTC · rising"
        );
        assert!(volume_line(&hourly(&[9, 8, 7, 2, 0, 0])).unwrap().ends_with("· stopped"));
        assert!(volume_line(&hourly(&[9, 8, 7, 5, 4, 3])).unwrap().ends_with("· falling"));
        assert!(volume_line(&hourly(&[4, 5, 4, 5, 4, 5])).unwrap().ends_with("· steady"));
        assert!(volume_line(&hourly(&[0, 0, 0, 0, 3, 1]))
            .unwrap()
            .ends_with("· new in this period"));
        assert_eq!(volume_line(&hourly(&[0, 0, 0])).unwrap(), "**Last 24 h**: no events");
    }

    #[test]
    fn daily_series_and_long_series() {
        let days = json!({"30d": (0..30).map(|i| json!([1_764_547_200 + 86_400 * i, if i == 29 { 50 } else { 1 }])).collect::<Vec<_>>()});
        let line = volume_line(&days).unwrap();
        assert!(
            line.starts_with("**Last 30 days**: ") && line.contains("peak 50 on 2025-12-30"),
            "{line}"
        );
        let long = json!({"24h": (0..96).map(|i| json!([1_764_547_200 + 900 * i, 1])).collect::<Vec<_>>()});
        let line = volume_line(&long).unwrap();
        assert_eq!(line.split(' ').nth(3).unwrap().chars().count(), 12, "{line}");
    }

    #[test]
    fn an_auto_series_is_labelled_by_what_it_covers() {
        let series = |step: i64, n: i64| json!({"auto": (0..n).map(|i| json!([1_764_547_200 + step * i, 1 + i % 3])).collect::<Vec<_>>()});
        let label = |v: Value| volume_line(&v).unwrap().split("**").nth(1).unwrap().to_string();
        assert_eq!(label(series(86_400, 15)), "Last 14 days");
        assert_eq!(label(series(3_600, 7)), "Last 6 h");
        assert_eq!(label(series(300, 10)), "Last 45 min");
        assert_eq!(label(series(86_400, 2)), "Last 24 h");
        expect_test::expect![
            "**Last 14 days**: ▅▆█▅▆█▅▅ 30 events · peak 3 on 2025-12-15 · steady"
        ]
        .assert_eq(&volume_line(&series(86_400, 15)).unwrap());
    }

    #[test]
    fn missing_or_odd_stats_give_no_line() {
        for stats in [
            json!(null),
            json!({}),
            json!({"24h": []}),
            json!({"24h": [[1, 2]]}),
            json!({"24h": "x"}),
        ] {
            assert_eq!(volume_line(&stats), None, "{stats}");
        }
        assert!(
            volume_line(&json!({"24h": [[0, -3], [3600, 2]]})).is_some(),
            "negative counts are zero"
        );
    }
}
