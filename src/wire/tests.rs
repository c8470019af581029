use super::*;

fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(value: T) {
    let mut w = Writer::new();
    value.put(&mut w);
    let bytes = w.into_bytes();
    let mut r = Reader::new(&bytes);
    assert_eq!(T::take(&mut r).unwrap(), value);
    r.finish().unwrap();
}

fn refused<T: Wire + std::fmt::Debug>(bytes: &[u8]) -> Error {
    let mut r = Reader::new(bytes);
    T::take(&mut r).and_then(|_| r.finish()).unwrap_err()
}

#[test]
fn values_read_back_as_written() {
    round_trip(0u64);
    round_trip(u64::MAX);
    round_trip(i64::MIN);
    round_trip(-1i64);
    round_trip(f64::NEG_INFINITY);
    round_trip(0.1f64);
    round_trip(true);
    round_trip(String::from("Ada ✓"));
    round_trip(Box::<str>::from(""));
    round_trip(vec![Some(3u32), None]);
    round_trip((7usize, [1u8, 2, 3]));
    round_trip(Timestamp(-5));
    round_trip(DurationMs(86_400_000));
}

#[test]
fn forged_bytes_are_refused_with_a_code_not_a_panic() {
    let cases: Vec<Error> = vec![
        refused::<u64>(&[]),
        refused::<u64>(&[0xff; 11]),
        refused::<u64>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
        refused::<u8>(&[1, 2]),
        refused::<u16>(&[0x80, 0x80, 0x04]),
        refused::<bool>(&[2]),
        refused::<String>(&[2, 0xc3, 0x28]),
        // A count far beyond the bytes left never allocates for it.
        refused::<Vec<u8>>(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
        refused::<Option<u8>>(&[7]),
        refused::<[u8; 4]>(&[1, 2]),
    ];
    for e in cases {
        assert_eq!(e.code(), ErrorCode::PayloadMalformed, "{e}");
    }
}

#[test]
fn nesting_is_bounded() {
    type Deep = Option<Box<Nest>>;
    #[derive(Debug)]
    struct Nest(Deep);
    impl Wire for Nest {
        fn put(&self, w: &mut Writer) {
            self.0.put(w);
        }
        fn take(r: &mut Reader<'_>) -> Result<Self> {
            <Deep as Wire>::take(r).map(Nest)
        }
    }
    let ok = [[1u8].repeat(MAX_DEPTH as usize - 1), vec![0]].concat();
    assert!(Nest::take(&mut Reader::new(&ok)).is_ok());
    let deep = [[1u8].repeat(10_000), vec![0]].concat();
    let e = Nest::take(&mut Reader::new(&deep)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PayloadMalformed);
}

#[test]
fn indexes_point_inside_their_table() {
    assert_eq!(Reader::new(&[2]).index(3).unwrap(), 2);
    assert_eq!(
        Reader::new(&[3]).index(3).unwrap_err().code(),
        ErrorCode::PayloadMalformed
    );
}
