-- The state version counts committed changes to what the published state holds;
-- tenancy (organisations, policies, keys) and market (ready datasets, maps) count
-- their own, so that what changed can be rebuilt alone. Triggers keep them, so no
-- write path can forget them; rows appended to a pending dataset do not count until
-- it commits.
CREATE TABLE state_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    tenancy INTEGER NOT NULL,
    market  INTEGER NOT NULL
);
INSERT INTO state_version (id, version, tenancy, market) VALUES (1, 0, 0, 0);

CREATE TRIGGER organizations_insert AFTER INSERT ON organizations BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER organizations_update AFTER UPDATE ON organizations BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER organizations_delete AFTER DELETE ON organizations BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER policies_insert AFTER INSERT ON policies BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER policies_update AFTER UPDATE ON policies BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER policies_delete AFTER DELETE ON policies BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER api_keys_insert AFTER INSERT ON api_keys BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER api_keys_update AFTER UPDATE ON api_keys BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER api_keys_delete AFTER DELETE ON api_keys BEGIN UPDATE state_version SET version = version + 1, tenancy = tenancy + 1; END;
CREATE TRIGGER level_maps_insert AFTER INSERT ON level_maps BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER level_maps_update AFTER UPDATE ON level_maps BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER level_maps_delete AFTER DELETE ON level_maps BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER location_map_insert AFTER INSERT ON location_map BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER location_map_update AFTER UPDATE ON location_map BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER location_map_delete AFTER DELETE ON location_map BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER datasets_insert AFTER INSERT ON datasets WHEN NEW.state = 'ready' BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER datasets_update AFTER UPDATE ON datasets WHEN NEW.state = 'ready' BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
CREATE TRIGGER datasets_delete AFTER DELETE ON datasets WHEN OLD.state = 'ready' BEGIN UPDATE state_version SET version = version + 1, market = market + 1; END;
