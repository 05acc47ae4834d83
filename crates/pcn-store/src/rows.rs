//! Reading typed values out of result rows, one small set of getters for
//! every table: text, integers, flags, counts, parsed values (codes, dates,
//! decimals, months) and coordinates. A value that does not parse is
//! `Error::Corrupt`, naming the table, the column and the value.

use std::str::FromStr;

use pcn_core::LatLon;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{BoxError, Error, Result};

/// Builds a struct from a row, one column a field: `field: getter` reads
/// the column named like the field with that getter of `Columns`,
/// `field: getter("column")` another column, `field => expression` anything
/// else. Column names are written once, and mappers stay short.
macro_rules! from_columns {
    ($c:ident => $ty:ident { $($field:ident $(: $get:ident $(($column:literal))?)? $(=> $value:expr)?),* $(,)? }) => {
        $ty { $($field: from_columns!(@value $c $field $($get $($column)?)? $(=> $value)?)),* }
    };
    (@value $c:ident $field:ident $get:ident $column:literal) => { $c.$get($column)? };
    (@value $c:ident $field:ident $get:ident) => { $c.$get(stringify!($field))? };
    (@value $c:ident $field:ident => $value:expr) => { $value };
}
pub(crate) use from_columns;

/// One row of a table, read column by column.
pub(crate) struct Columns<'r> {
    row: &'r AnyRow,
    table: &'static str,
}

impl<'r> Columns<'r> {
    pub(crate) fn new(row: &'r AnyRow, table: &'static str) -> Columns<'r> {
        Columns { row, table }
    }

    pub(crate) fn text(&self, column: &'static str) -> Result<String> {
        Ok(self.row.try_get(column)?)
    }

    pub(crate) fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        Ok(self.row.try_get(column)?)
    }

    pub(crate) fn bytes(&self, column: &'static str) -> Result<Vec<u8>> {
        Ok(self.row.try_get(column)?)
    }

    pub(crate) fn int(&self, column: &'static str) -> Result<i64> {
        Ok(self.row.try_get(column)?)
    }

    pub(crate) fn opt_int(&self, column: &'static str) -> Result<Option<i64>> {
        Ok(self.row.try_get(column)?)
    }

    /// A 0/1 integer.
    pub(crate) fn flag(&self, column: &'static str) -> Result<bool> {
        Ok(self.int(column)? != 0)
    }

    /// An integer that must fit a narrower type (a count, a size).
    pub(crate) fn count<T: TryFrom<i64>>(&self, column: &'static str) -> Result<T>
    where
        T::Error: Into<BoxError>,
    {
        let raw = self.int(column)?;
        T::try_from(raw).map_err(|e| self.corrupt(column, raw.to_string(), Some(e.into())))
    }

    /// An optional integer that must fit a narrower type (a file's row).
    pub(crate) fn opt_count<T: TryFrom<i64>>(&self, column: &'static str) -> Result<Option<T>>
    where
        T::Error: Into<BoxError>,
    {
        match self.opt_int(column)? {
            None => Ok(None),
            Some(raw) => T::try_from(raw)
                .map(Some)
                .map_err(|e| self.corrupt(column, raw.to_string(), Some(e.into()))),
        }
    }

    /// Text parsed with `FromStr`: a code, a date, a decimal, a month.
    pub(crate) fn parse<T: FromStr>(&self, column: &'static str) -> Result<T>
    where
        T::Err: Into<BoxError>,
    {
        let raw = self.text(column)?;
        raw.parse()
            .map_err(|e: T::Err| self.corrupt(column, raw.clone(), Some(e.into())))
    }

    /// Optional text parsed with `FromStr`.
    pub(crate) fn opt_parse<T: FromStr>(&self, column: &'static str) -> Result<Option<T>>
    where
        T::Err: Into<BoxError>,
    {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(raw) => raw
                .parse()
                .map(Some)
                .map_err(|e: T::Err| self.corrupt(column, raw.clone(), Some(e.into()))),
        }
    }

    /// Text read by a name lookup (`Funding::parse`, `GovernanceField::from_name` …).
    pub(crate) fn named<T>(
        &self,
        column: &'static str,
        lookup: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T> {
        let raw = self.text(column)?;
        lookup(&raw).ok_or_else(|| self.corrupt(column, raw.clone(), None))
    }

    /// A value chosen by the kind named in `column` (`practice`,
    /// `network` …): `choose` reads it for a kind it knows and gives `None`
    /// for any other, which is corrupt.
    pub(crate) fn by_kind<T>(
        &self,
        column: &'static str,
        choose: impl FnOnce(&str) -> Result<Option<T>>,
    ) -> Result<T> {
        let raw = self.text(column)?;
        choose(&raw)?.ok_or_else(|| self.corrupt(column, raw.clone(), None))
    }

    /// Text read by a parser with its own error type (`Employer::parse` …).
    pub(crate) fn parse_with<T, E: Into<BoxError>>(
        &self,
        column: &'static str,
        parse: impl FnOnce(&str) -> std::result::Result<T, E>,
    ) -> Result<T> {
        let raw = self.text(column)?;
        parse(&raw).map_err(|e| self.corrupt(column, raw.clone(), Some(e.into())))
    }

    /// Coordinates kept as millionths of a degree in `lat_e6` and `lon_e6`
    /// (sqlx's `Any` driver binds a NULL double as `float4` on PostgreSQL).
    pub(crate) fn location(&self) -> Result<Option<LatLon>> {
        let lat = self.opt_int("lat_e6")?;
        let lon = self.opt_int("lon_e6")?;
        Ok(lat
            .zip(lon)
            .and_then(|(lat, lon)| LatLon::new_in_uk(lat as f64 / 1e6, lon as f64 / 1e6)))
    }

    fn corrupt(&self, column: &'static str, value: String, source: Option<BoxError>) -> Error {
        Error::corrupt(self.table, column, value, source)
    }
}

/// Degrees to whole millionths of a degree (coordinates are within ±180).
pub(crate) fn micro_degrees(degrees: f64) -> i64 {
    (degrees * 1e6).round() as i64
}
