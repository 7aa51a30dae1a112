// Rust test program: generics, closures, iterators, a trait object, a HashMap, recursion.
use std::collections::HashMap;

trait Shape {
    fn area(&self) -> f64;
    fn name(&self) -> String;
}

struct Square(f64);
struct Triangle(f64, f64);

impl Shape for Square {
    fn area(&self) -> f64 { self.0 * self.0 }
    fn name(&self) -> String { format!("square {}", self.0) }
}

impl Shape for Triangle {
    fn area(&self) -> f64 { self.0 * self.1 / 2.0 }
    fn name(&self) -> String { format!("triangle {}x{}", self.0, self.1) }
}

fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    let mut it = items.iter().copied();
    let first = it.next()?;
    Some(it.fold(first, |a, b| if b > a { b } else { a }))
}

fn collatz_len(n: u64) -> u32 {
    if n == 1 { 1 } else if n % 2 == 0 { 1 + collatz_len(n / 2) } else { 1 + collatz_len(3 * n + 1) }
}

fn word_counts(text: &str) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for w in text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()) {
        if !w.is_empty() {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn main() {
    let n = std::env::args().count() as u64;
    let shapes: Vec<Box<dyn Shape>> = (1..=6 + n)
        .map(|i| -> Box<dyn Shape> { if i % 2 == 0 { Box::new(Square(i as f64)) } else { Box::new(Triangle(i as f64, 2.0)) } })
        .collect();
    let total: f64 = shapes.iter().map(|s| s.area()).sum();
    println!("total={total:.2} first={}", shapes[0].name());
    let lens: Vec<u32> = (1..200 + n).map(collatz_len).collect();
    println!("largest={:?}", largest(&lens));
    let top = word_counts("the quick brown fox jumps over the lazy dog; the dog sleeps, the fox runs");
    println!("top={:?}", &top[..3]);
}
