//! [`backend_tests!`](crate::backend_tests): one test written once, run on both backends.

/// Writes each test once and runs it on both backends: every
/// `fn name(db: &TestDb) { … }` becomes a module `name` with the tests `name::sqlite` and
/// `name::postgres` (skipped with a loud notice when PostgreSQL is unavailable, failing under
/// `CI=true`). Attributes (e.g. `#[ignore]`) apply to both.
///
/// ```
/// use wetech_test_db::TestDb;
///
/// wetech_test_db::backend_tests! {
///     fn settings_round_trip(db: &TestDb) {
///         let mut conn = db.conn();
///         wetech_persistence::app_settings::set(&mut conn, "k", "v").unwrap();
///         assert_eq!(wetech_persistence::app_settings::get(&mut conn, "k").unwrap().as_deref(), Some("v"));
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* fn $name:ident($db:ident : $ty:ty) $body:block)*) => {
        $(
            // Not `expect`: the glob import is used in the expansions whose body names anything of the
            // test module, unused in the others, and an unfulfilled `expect` would warn there.
            #[allow(unused_imports, reason = "the test body decides what it uses")]
            mod $name {
                use super::*;

                fn run($db: $ty) $body

                $(#[$meta])*
                #[test]
                pub fn sqlite() {
                    run(&$crate::TestDb::sqlite());
                }

                $(#[$meta])*
                #[test]
                pub fn postgres() {
                    if let Some(db) = $crate::TestDb::postgres() {
                        run(&db);
                    }
                }
            }
        )*
    };
}
