-- Argo CD health check for metal3-fkas FakeAPIServer and FakeNode (fkas.metal3.io/v1alpha1).
-- Progressing until the operator has looked at this generation (a new object reads back with
-- status.observedGeneration -1 from the CRD's default) and while it works (Reconciling True);
-- Degraded when it cannot serve or register without a change (Stalled True: PortConflict,
-- PortRangeExhausted, InvalidSpec, ...); Healthy when Ready, or when a FakeNode is registered
-- NotReady because its spec.ready is false.
local hs = { status = "Progressing", message = "waiting for the metal3-fkas operator" }

local function condition(conditionType)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  return c.reason .. ": " .. c.message
end

if obj.status == nil or obj.status.observedGeneration ~= obj.metadata.generation then
  return hs
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
if ready ~= nil and ready.reason == "NotReadyBySpec" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling)
elseif ready ~= nil then
  hs.message = describe(ready)
end
return hs
