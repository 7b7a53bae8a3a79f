-- 第十七条's count of the tasks an expert must step aside from (另有 N 项须回避), as 0021 counts it, at a fraction of its
-- cost to the many experts who have no reason to step aside from anyone:
-- * the expert's reasons are read once, in the main statement (`expert`: in a team, a conflict declared, an
--   organisation on record), where the verdict already looked up their own teams; with none of them nothing is counted
--   and no statement is run (0021 ran a five-branch union after every sheet stored with tasks left);
-- * with four or fewer left the count starts from those tasks, each checked against every reason, as 0018 did, where
--   0021 started from the reasons: all the teams of the expert's organisation, 150 in the bench's data, probed for each
--   of an expert's last four sheets.
-- The scoring bench (BENCH_SCORING_ONLY) had fallen from about 3 200 to 2 300 score sheets a second at 0020 (PostgreSQL
-- 0.28 to 0.43 ms a callback at 200 concurrent, 0.32 to 0.65 at 10); bisected to 0020, then measured against it.
-- Everything else is 0021's, unchanged: an expert in any team is left to the ordinary path, and with more than four
-- left their own organisation is not counted.
CREATE OR REPLACE FUNCTION "review_submit"(text, text, text, integer, text, boolean, jsonb, numeric, text, timestamptz, float8, text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  outcome record;
  recused int := 0;
BEGIN
  PERFORM set_config('lock_timeout', $12, true);
  -- 第十八条: a sheet load holds SHARE on assignments while it counts submitted sheets, so this waits for it and the version below is read after it commits
  LOCK TABLE assignments IN ROW EXCLUSIVE MODE;
  -- the lock 分配专家, declines and the ordinary submit take, so panel completion is decided on fresh rows
  PERFORM 1 FROM applications WHERE id = (SELECT application_id FROM assignments WHERE id = $4) FOR UPDATE;

  WITH t AS (
    SELECT a.id, a.expert_open_id, a.status, a.application_id, ap.status AS app_status, c.status AS cycle_status,
      c.id::text || ':' || c.xmin::text = $5 AS same_sheet,
      -- what the answer to a stored sheet shows besides the sheet (submittedCard, bot/review/view.ts)
      tm.code AS team_code, tm.name AS team_name, o.name AS organization, ap.form -> 'title' AS title, ap.form -> 'category' AS category,
      c.id AS cycle_id, c.xmin::text AS cycle_version,
      tm.id AS team_id, tm.leader_open_id, tm.contact_open_id, tm.organization_id
    FROM assignments a JOIN applications ap ON ap.id = a.application_id JOIN cycles c ON c.id = ap.cycle_id
      JOIN teams tm ON tm.id = ap.team_id JOIN organizations o ON o.id = tm.organization_id
    WHERE a.id = $4
  ),
  -- the expert's reasons to step aside from anyone (第十七条), read once: the verdict's own teams, and whether the
  -- count of tasks to step aside from below has anything to find
  expert AS (
    SELECT EXISTS (SELECT 1 FROM teams own WHERE own.leader_open_id = $3)
        OR EXISTS (SELECT 1 FROM teams own WHERE own.contact_open_id = $3)
        OR EXISTS (SELECT 1 FROM team_members om WHERE om.open_id = $3) AS in_team,
      EXISTS (SELECT 1 FROM conflicts x WHERE x.expert_open_id = $3) AS has_conflicts,
      EXISTS (SELECT 1 FROM people pe WHERE pe.open_id = $3 AND pe.organization_id IS NOT NULL) AS has_organization
  ),
  members AS (
    SELECT o.id, o.status, (CASE WHEN o.id = $4 THEN $8 ELSE o.total END)::float8 AS total
    FROM assignments o JOIN t ON o.application_id = t.application_id
    WHERE o.status IN ('assigned', 'submitted')
  ),
  scored AS (SELECT id, total FROM members WHERE status = 'submitted' OR id = $4),
  panel AS (
    SELECT (SELECT count(*) FROM members WHERE status = 'assigned' AND id <> $4) AS pending,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM scored) AS median
  ),
  verdict AS (
    SELECT CASE
        WHEN t.id IS NULL OR t.expert_open_id <> $3 OR t.status <> 'assigned' OR t.cycle_status NOT IN ('open', 'scoring') THEN 'refused'
        WHEN NOT t.same_sheet THEN 'stale'
        WHEN NOT $6 THEN 'refused'
        -- 第十七条: an expert who must step aside from the team is refused by the ordinary path (recusalReason)
        WHEN $3 IN (t.leader_open_id, t.contact_open_id)
          OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.team_id AND m.open_id = $3)
          OR EXISTS (SELECT 1 FROM conflicts x WHERE x.expert_open_id = $3 AND (x.team_id = t.team_id OR x.organization_id = t.organization_id))
          OR EXISTS (SELECT 1 FROM people pe WHERE pe.open_id = $3 AND pe.organization_id = t.organization_id)
          -- a team's organisation is theirs too when they lead, belong to or are the contact of a team of it: such an
          -- expert's submit, and its count of tasks to step aside from, are the ordinary path's
          OR e.in_team THEN 'ordinary'
        -- a panel whose last sheet leaves an outlier alerts the administrators: the ordinary path does that
        WHEN p.pending = 0 AND t.app_status = 'scoring' AND EXISTS (SELECT 1 FROM scored s WHERE abs(s.total - p.median) > $11) THEN 'ordinary'
        -- a panel completed in a year summed before (aggregatedBefore: reopened since) may be the last the reopening waits
        -- for, which the ordinary path tells the administrators (announceReopeningDone)
        WHEN p.pending = 0 AND t.app_status = 'scoring' AND t.cycle_status = 'scoring' AND EXISTS (
          SELECT 1 FROM audit_log l WHERE l.entity = 'cycle' AND l.entity_id = t.cycle_id::text AND l.action = 'cycle.closeScoring') THEN 'ordinary'
        ELSE 'ok' END AS v,
      coalesce(p.pending = 0 AND t.app_status = 'scoring', false) AS completes,
      t.application_id
    FROM (SELECT 1) one LEFT JOIN t ON true CROSS JOIN panel p CROSS JOIN expert e
  ),
  -- the event's claim, as claimCte (src/fast/sql.ts) writes it: a redelivered event claims nothing and writes nothing
  claim AS (
    INSERT INTO processed_events (event_id, event_type) SELECT $1, $2 FROM verdict WHERE v IN ('ok', 'refused')
    ON CONFLICT DO NOTHING
    RETURNING event_id
  ),
  sheet AS (
    UPDATE assignments SET status = 'submitted', scores = $7, total = $8, comment = $9, submitted_at = $10
    WHERE id = $4 AND status = 'assigned' AND EXISTS (SELECT 1 FROM claim) AND (SELECT v FROM verdict) = 'ok'
    RETURNING id, total
  ),
  completed AS (
    UPDATE applications SET status = 'scored', updated_at = $10
    WHERE id = (SELECT application_id FROM verdict WHERE completes) AND status = 'scoring' AND EXISTS (SELECT 1 FROM sheet)
    RETURNING id
  ),
  -- audit() as the ordinary path calls it: the sheet, then the panel it completed
  audited AS (
    INSERT INTO audit_log (actor, action, entity, entity_id, details, at)
    SELECT $3, x.action, x.entity, x.entity_id, x.details, $10 FROM (
      SELECT 1 AS n, 'review.submit' AS action, 'assignment' AS entity, $4::text AS entity_id,
        jsonb_build_object('applicationId', v.application_id, 'total', $8::float8) AS details
      FROM sheet CROSS JOIN verdict v
      UNION ALL
      SELECT 2, 'application.completePanel', 'application', c.id::text,
        jsonb_build_object('totals', (SELECT jsonb_agg(s.total ORDER BY s.id) FROM scored s), 'outliers', '[]'::jsonb)
      FROM completed c
    ) x ORDER BY x.n
    RETURNING id
  ),
  progress AS (
    -- the expert's progress for the answer card, as of this sheet: what expertProgressQuery (src/review/scoring.ts)
    -- counts after the commit; the running cycle's tasks are one range of assignments_expert_cycle_idx, which holds
    -- every column read here (the sheet stored now is counted apart: it is 'assigned' in this snapshot)
    SELECT count(*) FILTER (WHERE o.status = 'submitted') + (SELECT count(*) FROM sheet) AS done, count(*) AS total
    FROM assignments o
    WHERE o.expert_open_id = $3 AND o.cycle_id = (SELECT id FROM cycles WHERE status IN ('open', 'scoring', 'closed'))
      AND o.status IN ('assigned', 'submitted')
  )
  SELECT (SELECT v FROM verdict) AS verdict, EXISTS (SELECT 1 FROM claim) AS claimed, EXISTS (SELECT 1 FROM sheet) AS written,
    p.done::int AS done, p.total::int AS total,
    e.in_team OR e.has_conflicts AS may_step_aside, e.has_organization,
    (SELECT json_build_object('team', json_build_object('code', t.team_code, 'name', t.team_name), 'organization', t.organization,
        'form', jsonb_strip_nulls(jsonb_build_object('title', t.title, 'category', t.category)), 'total', s.total,
        'cycle', json_build_object('id', t.cycle_id, 'sheet_version', t.cycle_version))
      FROM sheet s CROSS JOIN t) AS brief
  INTO outcome
  FROM progress p CROSS JOIN expert e;

  IF outcome.verdict NOT IN ('ok', 'refused') THEN
    RETURN json_build_object('verdict', outcome.verdict);
  END IF;
  -- 第十七条: how many of the expert's pending tasks they must step aside from (mustRecuseSql's conditions): the tasks of
  -- teams they lead, are the contact of or belong to, of the teams and organisations they declared a conflict with, and
  -- (with four or fewer left only) of their own organisation's teams (their record's: an expert in any team was left to
  -- the ordinary path above). These statements see the sheet the one above stored, so that task is no longer pending.
  -- None of the reasons (most experts): nothing to count, and no statement run.
  IF outcome.total - outcome.done BETWEEN 1 AND 4 AND (outcome.may_step_aside OR outcome.has_organization) THEN
    -- four or fewer left: from those tasks, each checked against every reason (a few index probes a task); the teams
    -- of the expert's organisation can be many (150 in the bench's data), so they are not where this starts
    SELECT count(*) INTO recused
    FROM assignments o JOIN applications ap ON ap.id = o.application_id JOIN teams tm ON tm.id = ap.team_id
    WHERE o.expert_open_id = $3 AND o.cycle_id = (SELECT id FROM cycles WHERE status IN ('open', 'scoring', 'closed'))
      AND o.status = 'assigned'
      AND ($3 IN (tm.leader_open_id, tm.contact_open_id)
        OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = tm.id AND m.open_id = $3)
        OR EXISTS (SELECT 1 FROM conflicts x WHERE x.expert_open_id = $3 AND (x.team_id = tm.id OR x.organization_id = tm.organization_id))
        OR EXISTS (SELECT 1 FROM people pe WHERE pe.open_id = $3 AND pe.organization_id = tm.organization_id));
  ELSIF outcome.total > outcome.done AND outcome.may_step_aside THEN
    -- more left: from the reasons, each a team or an organisation's teams, to the expert's task on each (two index
    -- probes a team); their own organisation is left out here, as in 0021
    SELECT coalesce(sum((
        SELECT count(*) FROM applications ap JOIN assignments o ON o.application_id = ap.id AND o.expert_open_id = $3
        WHERE ap.team_id = aside.id AND ap.cycle_id = (SELECT id FROM cycles WHERE status IN ('open', 'scoring', 'closed'))
          AND o.status = 'assigned')), 0)
      INTO recused
    FROM (
      SELECT tm.id FROM teams tm WHERE tm.leader_open_id = $3
      UNION SELECT tm.id FROM teams tm WHERE tm.contact_open_id = $3
      UNION SELECT m.team_id FROM team_members m WHERE m.open_id = $3
      UNION SELECT x.team_id FROM conflicts x WHERE x.expert_open_id = $3 AND x.team_id IS NOT NULL
      UNION SELECT tm.id FROM conflicts x JOIN teams tm ON tm.organization_id = x.organization_id WHERE x.expert_open_id = $3
    ) aside;
  END IF;
  -- a sheet stored: the answer is drawn from what the main statement read (the cycle's row does not change under it)
  IF outcome.written THEN
    RETURN json_build_object('verdict', outcome.verdict, 'claimed', outcome.claimed, 'written', true, 'done', outcome.done,
      'total', outcome.total, 'recused', recused, 'brief', outcome.brief);
  END IF;
  -- a refusal or a redelivery, in a new statement: it sees what the one above wrote
  RETURN (
    SELECT json_build_object('verdict', outcome.verdict, 'claimed', outcome.claimed, 'written', outcome.written, 'done', outcome.done,
      'total', outcome.total, 'recused', recused, 'task', (
        SELECT json_build_object('assignment', to_json(a), 'team', to_json(tm), 'organization', o.name,
          -- a refusal or a redelivery: its card may redraw the 申报表, so the whole row
          'application', to_json(ap),
          -- the cycle as its version: the bot holds the row read at it (knownCycle, src/cycles.ts) and reads it once when new
          'cycle', json_build_object('id', c.id, 'sheet_version', c.xmin::text))
        FROM assignments a JOIN applications ap ON ap.id = a.application_id JOIN teams tm ON tm.id = ap.team_id
          JOIN organizations o ON o.id = tm.organization_id JOIN cycles c ON c.id = ap.cycle_id
        WHERE a.id = $4)));
END
$$;
