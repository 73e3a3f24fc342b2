//! Key-value settings.

use wetech_persistence::app_settings;
use wetech_test_db::TestDb;

wetech_test_db::backend_tests! {
    fn set_get_replace_delete(db: &TestDb) {
        let mut conn = db.conn();
        assert_eq!(app_settings::get(&mut conn, "pesapal.ipn_id").unwrap(), None);
        app_settings::set(&mut conn, "pesapal.ipn_id", "e3e4-aa").unwrap();
        app_settings::set(&mut conn, "other", "x").unwrap();
        app_settings::set(&mut conn, "pesapal.ipn_id", "f00d-bb").unwrap();
        assert_eq!(app_settings::get(&mut conn, "pesapal.ipn_id").unwrap().as_deref(), Some("f00d-bb"));
        assert_eq!(app_settings::get(&mut conn, "other").unwrap().as_deref(), Some("x"));
        let big = "v".repeat(70_000);
        app_settings::set(&mut conn, "big", &big).unwrap();
        assert_eq!(app_settings::get(&mut conn, "big").unwrap(), Some(big));
        assert!(app_settings::delete(&mut conn, "other").unwrap());
        assert!(!app_settings::delete(&mut conn, "other").unwrap());
        assert_eq!(app_settings::get(&mut conn, "other").unwrap(), None);
    }
}
