"""The page's one stylesheet and one script, inline (the page loads nothing: its Content-Security-Policy allows
exactly these two by their hashes). The script reads the plan's rows from the embedded JSON and renders groups and
rows only when opened, a chunk at a time, so a 10,000-change page stays quick."""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;
color:#1f2328;background:#fff}
h1{font-size:20px;margin:18px 0 6px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #d0d7de}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.summary{font-weight:600}.failed{color:#cf222e;font-weight:600}
table.counts{border-collapse:collapse;margin:8px 0}table.counts td,table.counts th{border:1px solid #d0d7de;
padding:2px 8px;text-align:right}table.counts th{background:#f6f8fa}table.counts td:first-child{text-align:left}
.errors li{color:#cf222e}.warnings li{color:#9a6700}
.controls{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #d0d7de;z-index:1}
.controls fieldset{display:inline-block;border:1px solid #d0d7de;margin:4px 6px 4px 0;padding:2px 8px}
.controls label{margin-right:8px;white-space:nowrap}#search{width:320px;padding:4px}
details.group{border:1px solid #d0d7de;border-radius:6px;margin:6px 0}
details.group>summary{padding:6px 10px;background:#f6f8fa;cursor:pointer;font-weight:600}
ul.rows{list-style:none;margin:0;padding:0 10px}li.row{border-bottom:1px solid #eaeef2;padding:2px 0}
li.row>details>summary{cursor:pointer}.sym{display:inline-block;width:2.2em;font-weight:700}
.flag{font-size:11px;border-radius:8px;padding:0 6px;margin-left:6px;background:#eaeef2}
.flag.data_loss,.flag.refused{background:#ffebe9;color:#cf222e}.flag.irreversible{background:#fff8c5}
.meta{color:#57606a;margin-left:8px;font-size:12px}
pre.diff{margin:4px 0 6px 2.2em;padding:6px 8px;background:#f6f8fa;overflow-x:auto}
.l-plus{color:#116329}.l-minus{color:#cf222e}.l-tilde{color:#9a6700}.l-hash{color:#57606a}.l-bang{color:#cf222e}
button.more{margin:6px 10px}
.a-create,.x-create{--c:#1a7f37}.a-update,.x-update,.a-update-metadata,.x-update-metadata{--c:#9a6700}
.a-delete,.x-delete,.a-replace,.x-replace{--c:#cf222e}.a-restart,.x-restart{--c:#8250df}
.x-create .sym,.x-update .sym,.x-delete .sym,.x-replace .sym,.x-restart .sym{color:var(--c)}
#flows svg{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px}
svg .col{font-size:12px;font-weight:600;fill:#57606a}svg .band{fill:#f6f8fa}
svg .n rect{fill:#fff;stroke:#8c959f}svg .n text{font-size:11px;fill:#1f2328}
svg .n-source rect{fill:#ddf4ff}svg .n-group rect{fill:#fbefff}svg .n-connector rect{fill:#fff8c5}
svg .n-mirror rect{fill:#dafbe1}
svg .a-create rect,svg .a-update rect,svg .a-delete rect,svg .a-replace rect,svg .a-restart rect,
svg .a-update-metadata rect{stroke:var(--c);stroke-width:2.5}
svg .ref rect{fill:#f6f8fa;stroke:#57606a;stroke-dasharray:4 3}svg .ref text{font-size:11px;font-style:italic}
svg .e{fill:none;stroke:#afb8c1;stroke-width:1.2}svg .e.ec{stroke:#0969da;stroke-width:1.8}
.legend span{margin-right:12px}.legend b{color:var(--c)}
"""

JS = r"""
(function(){
"use strict";
var DATA=JSON.parse(document.getElementById("kplan-data").textContent);
var ROWS=DATA.changes, CHUNK=200, OPEN_ALL_BELOW=300;
var MARK={"+":"l-plus","-":"l-minus","~":"l-tilde","#":"l-hash","!":"l-bang"};
var search=document.getElementById("search"), shownEl=document.getElementById("shown");
var box=document.getElementById("groups"), groups=[];
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;
return e;}
function checked(name){var out={};document.querySelectorAll("input[name="+name+"]").forEach(function(c){
out[c.value]=c.checked;});return out;}
function rowEl(i){
  var r=ROWS[i], li=el("li","row x-"+r.x), d=el("details"), s=el("summary");
  li.dataset.address=r.a; li.dataset.name=r.n;
  s.appendChild(el("span","sym",r.s)); s.appendChild(el("code",null,(r.c?r.c+": ":"")+r.a));
  s.appendChild(el("span","meta",r.h));
  r.f.forEach(function(f){s.appendChild(el("span","flag "+f,f.replace("_"," ")));});
  if(r.o!=null)s.appendChild(el("span","meta","owner "+r.o));
  if(r.w)s.appendChild(el("span","meta",r.w));
  d.appendChild(s);
  d.addEventListener("toggle",function(){
    if(!d.open||d.querySelector("pre"))return;
    var pre=el("pre","diff");
    r.d.forEach(function(l){
      pre.appendChild(el("span",MARK[l[0]]||"",(l[0]==="#"||l[0]==="!"?"# ":l[0]+" ")+l[1]+"\n"));});
    if(!r.d.length)pre.textContent="(nothing more to show)";
    d.appendChild(pre);
  });
  li.appendChild(d); return li;
}
function fill(g,more){
  var upto=Math.min(g.list.length,(more?g.done:0)+CHUNK), frag=document.createDocumentFragment();
  if(!more){g.ul.textContent="";g.done=0;}
  for(var j=g.done;j<upto;j++)frag.appendChild(rowEl(g.list[j]));
  g.ul.appendChild(frag); g.done=upto;
  var left=g.list.length-g.done; g.more.hidden=left<=0;
  g.more.textContent="Show "+Math.min(left,CHUNK)+" more ("+left+" not shown)";
}
function build(){
  DATA.groups.forEach(function(spec){
    var d=el("details","group x-"+spec.x), s=el("summary"), ul=el("ul","rows"), more=el("button","more");
    d.dataset.kind=spec.k; d.dataset.action=spec.x; d.dataset.count=spec.i.length;
    var g={spec:spec,el:d,sum:s,ul:ul,more:more,list:spec.i,done:0,dirty:true};
    more.type="button"; more.hidden=true; more.addEventListener("click",function(){fill(g,true);});
    d.appendChild(s); d.appendChild(ul); d.appendChild(more);
    d.addEventListener("toggle",function(){if(d.open&&g.dirty){fill(g,false);g.dirty=false;}});
    box.appendChild(d); groups.push(g);
  });
  apply(true);
}
function apply(first){
  var q=search.value.trim().toLowerCase(), kinds=checked("kind"), acts=checked("action"), total=0;
  groups.forEach(function(g){
    var sp=g.spec, on=kinds[sp.k]!==false&&acts[sp.x]!==false;
    g.list=!on?[]:(q?sp.i.filter(function(i){return ROWS[i].a.toLowerCase().indexOf(q)>=0;}):sp.i);
    g.el.hidden=g.list.length===0; total+=g.list.length;
    g.sum.textContent=sp.k+" · "+sp.x+" ("+(g.list.length===sp.i.length?sp.i.length:g.list.length+" of "+
      sp.i.length)+")";
    g.dirty=true;
    var open=first?ROWS.length<=OPEN_ALL_BELOW:(q?g.list.length>0:g.el.open);
    if(open&&!g.el.hidden){g.el.open=true;fill(g,false);g.dirty=false;}else if(!q&&!first){g.ul.textContent="";
      g.done=0;if(g.el.open){fill(g,false);g.dirty=false;}}
  });
  shownEl.textContent=total+" of "+ROWS.length+" changes match";
}
var timer=null;
search.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(function(){apply(false);},120);});
document.querySelectorAll("input[name=kind],input[name=action]").forEach(function(c){
  c.addEventListener("change",function(){apply(false);});});
document.getElementById("open-all").addEventListener("click",function(){groups.forEach(function(g){
  if(!g.el.hidden)g.el.open=true;});});
document.getElementById("close-all").addEventListener("click",function(){groups.forEach(function(g){
  g.el.open=false;});});
build();
document.body.dataset.ready="1";
})();
"""
