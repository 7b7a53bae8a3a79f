-- 第十七条 (RULES.md: no expert from the applicant's own organisation): an expert's organisations are their expert
-- record's and those of the teams they lead, belong to or are the 单位联系人 of. 0020 compared the record's alone, often
-- empty (registration never sets it) or the pool's, so an expert leading a team of the applicant's organisation had
-- their sheet stored where the ordinary path (recusalReason) says 须回避. An expert who leads, is the contact of or
-- belongs to any team at all (few experts) is left to the ordinary path, which decides and counts the tasks to step
-- aside from with those organisations: three index probes on the expert (teams_leader_idx, teams_contact_idx,
-- team_members_open_id_idx), none joined with the applicant's team. Comparing and counting those organisations here
-- (joined by organisation) cost the bench's experts, none of them in a team, most of the throughput: 606 and 1 211
-- score sheets a second against 1 555, PostgreSQL 1.8 and 0.96 ms a submit against 0.61 (BENCH_SCORING_ONLY, one hour).
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
          OR EXISTS (SELECT 1 FROM teams own WHERE own.leader_open_id = $3)
          OR EXISTS (SELECT 1 FROM teams own WHERE own.contact_open_id = $3)
          OR EXISTS (SELECT 1 FROM team_members om WHERE om.open_id = $3) THEN 'ordinary'
        -- a panel whose last sheet leaves an outlier alerts the administrators: the ordinary path does that
        WHEN p.pending = 0 AND t.app_status = 'scoring' AND EXISTS (SELECT 1 FROM scored s WHERE abs(s.total - p.median) > $11) THEN 'ordinary'
        -- a panel completed in a year summed before (aggregatedBefore: reopened since) may be the last the reopening waits
        -- for, which the ordinary path tells the administrators (announceReopeningDone)
        WHEN p.pending = 0 AND t.app_status = 'scoring' AND t.cycle_status = 'scoring' AND EXISTS (
          SELECT 1 FROM audit_log l WHERE l.entity = 'cycle' AND l.entity_id = t.cycle_id::text AND l.action = 'cycle.closeScoring') THEN 'ordinary'
        ELSE 'ok' END AS v,
      coalesce(p.pending = 0 AND t.app_status = 'scoring', false) AS completes,
      t.application_id
    FROM (SELECT 1) one LEFT JOIN t ON true CROSS JOIN panel p
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
    (SELECT json_build_object('team', json_build_object('code', t.team_code, 'name', t.team_name), 'organization', t.organization,
        'form', jsonb_strip_nulls(jsonb_build_object('title', t.title, 'category', t.category)), 'total', s.total,
        'cycle', json_build_object('id', t.cycle_id, 'sheet_version', t.cycle_version))
      FROM sheet s CROSS JOIN t) AS brief
  INTO outcome
  FROM progress p;

  IF outcome.verdict NOT IN ('ok', 'refused') THEN
    RETURN json_build_object('verdict', outcome.verdict);
  END IF;
  -- 第十七条: how many of the expert's pending tasks they must step aside from (mustRecuseSql's conditions), from their
  -- reasons to: the teams they lead, are the contact of or belong to, the teams and organisations they declared a
  -- conflict with, their own organisation's teams (their record's: an expert in any team was left to the ordinary path
  -- above); then, for each such team, its application of the running cycle
  -- (the cycle its tasks carry, by the trigger assignments_cycle_id) and the expert's task on it: two index probes a
  -- team, none for an expert with no reason to step aside from anyone. This statement sees the sheet the one above
  -- stored, so that task is no longer pending.
  -- Their own organisation (its teams can be many: 150 probed, twice the rest of the submit) only with four or fewer
  -- left, in a statement of its own: a condition on the record's fields inside one query is no guarantee it is not read.
  IF outcome.total - outcome.done BETWEEN 1 AND 4 THEN
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
      UNION SELECT tm.id FROM people pe JOIN teams tm ON tm.organization_id = pe.organization_id WHERE pe.open_id = $3
    ) aside;
  ELSIF outcome.total > outcome.done THEN
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
