#ifndef CSLUICESTORE_H
#define CSLUICESTORE_H

#include <sqlite3.h>

/// Sets SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE on `db`: closing the last connection leaves the WAL as
/// it is instead of copying it into the database file and syncing both (most of a short run's
/// cost of --db). `sqlite3_db_config` is variadic, which Swift cannot call.
/// The corresponding C function is `sqlite3_db_config`.
int sluice_sqlite3_no_checkpoint_on_close(sqlite3 *db, int on);

#endif
