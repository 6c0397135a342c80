-- 0003: the JMA collector's telegram ledger.  One row per telegram URL
-- (the feed entry's link/@href) the collector decided to fetch: it is what
-- makes "fetch each telegram until it succeeds once, then never again"
-- hold across restarts, records telegrams given up (lost) or gone (404),
-- and keeps the series fields (Control/Title, EditorialOffice, Status,
-- EventID, DateTime, Serial) from which what is in force is computed.
CREATE TABLE jma_telegrams (
  url TEXT PRIMARY KEY CHECK (length(url) BETWEEN 1 AND 2048),
  feed TEXT NOT NULL CHECK (length(feed) BETWEEN 1 AND 16),
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 256),
  office TEXT NOT NULL CHECK (length(office) BETWEEN 1 AND 128),
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'lost', 'gone', 'refused')),
  attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 512),
  first_seen_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  document_id BIGINT REFERENCES raw_documents (id),
  -- From the telegram itself, once fetched (state done).
  report_status TEXT CHECK (report_status IS NULL OR report_status IN ('通常', '訓練', '試験')),
  info_type TEXT CHECK (info_type IS NULL OR info_type IN ('発表', '訂正', '取消')),
  event_id TEXT,
  serial BIGINT,
  datetime BIGINT,
  CHECK (state <> 'done' OR (document_id IS NOT NULL AND datetime IS NOT NULL))
);
CREATE INDEX jma_telegrams_series ON jma_telegrams (state, office, title, datetime);
