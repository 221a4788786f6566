//! Decoding throughput of quote messages in the core: `autoshares::stream::wire::decode` over string-valued
//! quote frames, against `serde_json::Value` parsing of the same frames as the in-process baseline (what a
//! client that parses generically and converts later pays at least).

use std::hint::black_box;

use autoshares::stream::wire::{decode, Message};
use autoshares_benches::quote_frames;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn quotes(c: &mut Criterion) {
    let frames = quote_frames(10_000, 50);
    let mut group = c.benchmark_group("quote_decode");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("autoshares_typed", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &frames {
                if let Ok(Message::Quote(q)) = decode(black_box(f)) {
                    n += q.quote.bid.is_some() as usize;
                }
            }
            assert_eq!(n, frames.len());
            n
        })
    });
    group.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for f in &frames {
                let v: serde_json::Value = serde_json::from_str(black_box(f)).expect("json");
                n += v.get("Bid").is_some() as usize;
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, quotes);
criterion_main!(benches);
